"""Admin: a story's revisions — list, compare two, restore one."""


class RevisionAdminMixin:
    pass
