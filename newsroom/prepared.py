"""Prepared queries: a queryset of fixed shape compiled to SQL once, then run with new values.

Django compiles a queryset to SQL each time it runs: it resolves every selected column of the
model and of each ``select_related`` join, the ordering and the conditions. For the few
queries every article page runs, that costs more than the database does: on the article
page's story query, 0.9 ms of compiling against 0.4 ms of running and reading it. The shape
of those queries never changes; only a slug, an id, the time of the request do.

``PreparedQuery`` takes a function that builds the queryset from named values. The first
run on a database (and time zone) builds it with stand-in values, compiles it, and notes
which SQL parameter is which value; later runs put the new values in those places and run
the same SQL through Django's own result machinery, so rows come back as the queryset would
return them (models, ``select_related`` joins, annotations, ``values()``, converters, and
its ``prefetch_related``, which runs as usual). A list of ids is prepared per length.

On PostgreSQL with parameters bound by the server (the default, see settings), the server
prepares a prepared query's statement on its first run and plans it once per connection.

Values may be strings, integers, datetimes, or lists of integers, and must reach the SQL as
parameters of their own (a lookup such as ``slug=...``, ``pk__in=...``,
``published_at__lte=...``); preparing refuses one it cannot follow, such as a string put
inside a ``LIKE`` pattern or a number written into the SQL text. A prepared queryset cannot
be refined (``filter()``, ``count()``, slicing): build that into the function.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Prefetch, QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.query import Query
from django.utils import timezone

# Stand-in values: unlike anything a page asks for, so each is found again among the
# compiled parameters. Integers stay within a 32-bit column's range: Django compiles a
# lookup with a value out of its column's range to "no rows", another shape.
_STAND_IN_INT = 2_038_000_000
_STAND_IN_TIME = dt.datetime(1901, 2, 3, 4, 5, 6, tzinfo=dt.UTC)


class PreparedQueryError(TypeError):
    """A queryset or a value that a prepared query cannot reproduce faithfully."""


@dataclass(frozen=True)
class _Compiled:
    template: QuerySet
    sql: str
    # Per SQL parameter: (value name, index in a list or None, adapt function or None), or
    # (None, constant, None) for a parameter that is the same on every run.
    params: tuple[tuple[Any, Any, Callable | None], ...]
    state: dict
    converters: dict = field(default_factory=dict)


class _CompiledSQLCompiler(SQLCompiler):
    """A compiler that hands back SQL compiled before, with this run's parameters."""

    def __init__(self, query, connection, using, elide_empty=True):
        super().__init__(query, connection, using, elide_empty)
        self.__dict__.update(query.prepared_state)

    def pre_sql_setup(self, with_col_aliases=False):  # pragma: no cover - never reached
        raise PreparedQueryError("A prepared query is compiled already.")

    def as_sql(self, with_limits=True, with_col_aliases=False):
        return self.query.prepared_sql, self.query.prepared_params

    def execute_sql(self, *args, **kwargs):
        """Run the SQL; on PostgreSQL with parameters bound by the server, as a statement
        the server prepares on its first run and plans once per connection (see
        ``server_prepares``)."""
        if not server_prepares(self.connection):
            return super().execute_sql(*args, **kwargs)
        raw = self.connection.connection
        threshold, raw.prepare_threshold = raw.prepare_threshold, 0
        try:
            return super().execute_sql(*args, **kwargs)
        finally:
            raw.prepare_threshold = threshold

    def get_converters(self, expressions):
        """The columns' converters, worked out once per compiled query and connection (they
        are the connection's methods, so each thread's connection has its own)."""
        remembered = self.query.prepared_converters
        key = (id(self.connection), *map(id, expressions))
        try:
            return remembered[key][0]
        except KeyError:
            converters = super().get_converters(expressions)
            # The expressions and connection are kept with them, so no id is reused.
            remembered[key] = (converters, expressions, self.connection)
            return converters


def server_prepares(connection) -> bool:
    """Whether ``connection`` can have the server prepare a statement: PostgreSQL through
    psycopg 3 with parameters bound by the server (``server_side_binding``).

    Only prepared queries are: their parameters never change how the rows are best found
    (an id, a slug, the time), so the server's plan for one value serves every other. Other
    statements are planned for their own values each time (psycopg's automatic preparing
    is left off): a search for a word in most stories wants another plan than a search
    for a rare one. The connection is opened here if it was not yet.
    """
    if connection.vendor != "postgresql" or not connection.settings_dict.get("OPTIONS", {}).get(
        "server_side_binding"
    ):
        return False
    connection.ensure_connection()
    return hasattr(connection.connection, "prepare_threshold")


class _PreparedSQLQuery(Query):
    """The query of a prepared queryset: runs its compiled SQL, refuses to be changed."""

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        if connection is None:
            connection = connections[using]
        return _CompiledSQLCompiler(self, connection, using, elide_empty)

    def clone(self):
        raise PreparedQueryError(
            "A prepared queryset runs as prepared: put filters, slices and counts in the "
            "function that builds it."
        )

    chain = clone


class PreparedQuery:
    """``PreparedQuery(build)``: ``build(**values)`` returns a queryset whose shape does not
    depend on the values; calling the prepared query with the same names returns that
    queryset, unevaluated, compiled once per database, time zone and list lengths.

    ``shape`` names arguments that do change the SQL (a page's offset, written into it as
    ``LIMIT``/``OFFSET``): they are passed to ``build`` as given, and each value of them is
    compiled once. They must take few values (a page number, not an id).
    """

    # Compiled shapes kept at most (lengths of lists, values of shape arguments).
    MAX_SHAPES = 256

    def __init__(self, build: Callable[..., QuerySet], *, shape: tuple[str, ...] = ()):
        self.build = build
        self.shape = shape
        self._compiled: dict[tuple, _Compiled] = {}

    def __call__(self, *, using: str = DEFAULT_DB_ALIAS, **values) -> QuerySet:
        shaping = {name: values.pop(name) for name in self.shape}
        lengths = tuple(
            (name, len(value)) for name, value in values.items() if isinstance(value, list | tuple)
        )
        key = (
            using,
            timezone.get_current_timezone_name(),
            tuple(values),
            lengths,
            tuple(shaping.values()),
        )
        compiled = self._compiled.get(key)
        if compiled is None:
            if len(self._compiled) >= self.MAX_SHAPES:
                self._compiled.clear()  # a crawler walking every page of a listing
            # Two threads may both compile a new shape; either result is the same.
            compiled = self._compiled[key] = self._compile(using, values, shaping)
        queryset = compiled.template._chain()
        query = queryset.query
        query.__class__ = _PreparedSQLQuery
        query.prepared_sql = compiled.sql
        query.prepared_state = compiled.state
        query.prepared_converters = compiled.converters
        query.prepared_params = tuple(
            _value(values, name, index, adapt) for name, index, adapt in compiled.params
        )
        return queryset

    def _compile(self, using: str, values: dict, shaping: dict) -> _Compiled:
        """Build and compile twice, with two sets of stand-ins: each parameter must be the
        same constant both times, or the same value's stand-in both times; the SQL text must
        not change. A value a query does not use at all is fine; one it transforms (a
        pattern, a date taken from a datetime, a number in the SQL text) is refused.
        """
        connection = connections[using]
        runs = []
        for seed in (0, 1):
            stand_ins = _stand_ins(values, seed)
            template = self.build(**stand_ins, **shaping).using(using)
            compiler = template.query.get_compiler(using=using)
            try:
                sql, params = compiler.as_sql()
            except (EmptyResultSet, FullResultSet) as error:
                raise PreparedQueryError(
                    "With stand-in values the query matches nothing or everything (a value "
                    "outside its column's range?): it cannot be prepared."
                ) from error
            runs.append((template, compiler, sql, params, _known_forms(stand_ins, connection)))
        (template, compiler, sql, params, known), (_, _, other_sql, other_params, other_known) = (
            runs
        )
        if sql != other_sql or len(params) != len(other_params):
            raise PreparedQueryError("A value changes the text of the SQL: it cannot be prepared.")
        placed = []
        for param, other in zip(params, other_params, strict=True):
            spot = known.get(_hashable(param))
            if spot != other_known.get(_hashable(other)) or (spot is None and param != other):
                raise PreparedQueryError(
                    "A value reaches the SQL in a form that cannot be followed (a pattern, a "
                    "date from a datetime?): it cannot be prepared."
                )
            if spot is None:
                spot = (None, param, None)
            placed.append(spot)
        state = {
            name: value
            for name, value in compiler.__dict__.items()
            if name not in {"query", "connection", "using", "elide_empty", "quote_cache"}
        }
        return _Compiled(template, sql, tuple(placed), state)


def _stand_ins(values: dict, seed: int) -> dict:
    counter = itertools.count(seed * 1_000)
    stand_ins = {}
    for name, value in values.items():
        if isinstance(value, bool):
            raise PreparedQueryError(f"{name!r}: a flag changes a query's shape, not a value.")
        if isinstance(value, str):
            stand_ins[name] = f"\x00prepared-{next(counter)}\x00"
        elif isinstance(value, int):
            stand_ins[name] = _STAND_IN_INT + next(counter)
        elif isinstance(value, dt.datetime):
            stand_ins[name] = _STAND_IN_TIME + dt.timedelta(
                days=seed, microseconds=next(counter) + 1
            )
        elif isinstance(value, list | tuple) and all(
            isinstance(item, int) and not isinstance(item, bool) for item in value
        ):
            stand_ins[name] = [_STAND_IN_INT + next(counter) for _ in value]
        else:
            raise PreparedQueryError(
                f"{name!r}: prepared queries take strings, integers, datetimes and lists "
                f"of integers, not {type(value).__name__}."
            )
    return stand_ins


def _known_forms(stand_ins: dict, connection) -> dict:
    """Each stand-in as it may appear among the parameters -> where its run value goes."""
    adapt_time = connection.ops.adapt_datetimefield_value
    forms = {}
    for name, value in stand_ins.items():
        items = enumerate(value) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            forms[_hashable(item)] = (name, index, None)
            if isinstance(item, dt.datetime):
                forms.setdefault(_hashable(adapt_time(item)), (name, index, adapt_time))
    return forms


def _value(values: dict, name, index, adapt):
    if name is None:
        return index  # the constant
    value = values[name] if index is None else values[name][index]
    return value if adapt is None else adapt(value)


def _hashable(param) -> tuple:
    # 1 == True == 1.0 as dict keys: the type keeps them apart.
    if isinstance(param, str | int | dt.datetime):
        return (type(param), param)
    return (None, id(param))


def attach_related(instance, accessor: str, rows: list, to_attr: str | None = None) -> None:
    """Hand ``instance`` the rows of its reverse foreign key ``accessor`` as
    ``prefetch_related`` does: ``getattr(instance, accessor).all()`` then reads ``rows``
    without a query (or, with ``to_attr``, that attribute holds them as a list), and each row
    knows ``instance`` as its parent.
    """
    manager = getattr(instance, accessor)
    field = manager.field
    for row in rows:
        field.set_cached_value(row, instance)
    if to_attr:
        setattr(instance, to_attr, rows)
        return
    queryset = manager.get_queryset()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[field.remote_field.cache_name] = queryset


class PreparedPrefetch:
    """``prefetch_related_objects(instances, prefetch)`` for a reverse foreign key, prepared.

    ``make_prefetch()`` returns the ``Prefetch`` (its lookup on ``model``, its queryset and
    ``to_attr``), as a listing defines it; the rows of all ``instances`` come in one query,
    compiled once per number of instances, in the queryset's order, and each instance gets
    its own (``attach_related``).
    """

    def __init__(self, model, make_prefetch: Callable[[], Prefetch]):
        prefetch = make_prefetch()
        self.accessor = prefetch.prefetch_through
        self.to_attr = prefetch.to_attr
        self.parent = model._meta.get_field(self.accessor).field
        lookup = f"{self.parent.name}__in"
        self.query = PreparedQuery(
            lambda parents: make_prefetch().queryset.filter(**{lookup: parents})
        )

    def __call__(self, instances: list, *, using: str = DEFAULT_DB_ALIAS) -> None:
        parents = list(dict.fromkeys(instance.pk for instance in instances))
        rows = list(self.query(parents=parents, using=using)) if parents else []
        by_parent: dict[Any, list] = {pk: [] for pk in parents}
        for row in rows:
            by_parent[getattr(row, self.parent.attname)].append(row)
        for instance in instances:
            attach_related(instance, self.accessor, by_parent[instance.pk], to_attr=self.to_attr)
