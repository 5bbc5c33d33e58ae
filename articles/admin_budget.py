"""Admin: the desk's budget page."""


class BudgetAdminMixin:
    pass
