"""UI feature: the audit trail viewer (supervisors and admins)."""

from c4desk.ui.audit.viewer import AuditViewer

__all__ = ["AuditViewer"]
