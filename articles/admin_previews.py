"""Admin: preview a story as readers will see it; share signed preview links."""


class PreviewAdminMixin:
    pass
