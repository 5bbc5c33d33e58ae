"""Admin: workflow buttons, transition pages, change-list actions, role-based editing."""


class WorkflowAdminMixin:
    pass
