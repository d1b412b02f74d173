"""The bottom layer every app may use, which imports no app: the audit log, the notification
outbox, rate limits, crypto, the request context, the base admin and the API conventions
(ARCHITECTURE.md)."""
