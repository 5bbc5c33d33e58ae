"""Admin: edit leases ("being edited by X since HH:MM") and the lost-update guard."""


class LockingAdminMixin:
    pass
