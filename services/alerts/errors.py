"""Alert service errors.

ProblemError (services.web)
├── Unauthenticated                 401
├── Forbidden                       403
├── NotFound                        404
│   ├── IncidentNotFound            404  (also: an officer asking for another officer's incident)
│   ├── TaskNotFound                404
│   ├── PostNotFound                404
│   ├── OfficerNotFound             404
│   ├── PersonalDataNotFound        404
│   ├── TokenNotFound               404
│   ├── SubscriptionNotFound        404
│   ├── DeliveryNotFound            404
│   ├── NoticeNotFound              404
│   └── PlatformNotFound            404
├── InvalidCursor                   400  a pagination cursor this service did not issue
├── InvalidTransition               409  a status change the handling path does not allow
├── DeliveryNotRetryable            409  only a failed delivery can be retried
├── NoticeConflict                  409  the notice is not in a state that allows this
│   ├── NoticeNotEditable           409  only drafts are edited
│   ├── InvalidNoticeTransition     409  e.g. refused -> sent, or removal on an aangifte
│   ├── JudgeAuthorisationMissing   409  art. 125p order without the examining judge
│   ├── NoticeDeadlinePassed        409  sending a letter whose deadline is over
│   ├── NotSendableByEmail          409  kind not sent by e-mail, or no e-mail recipient
│   └── EmailNotConfigured          409  DOXWATCH_SMTP_HOST unset
├── PlatformExists                  409
├── InvalidPersonalDataValue        422  a registered value is not valid for its type
├── InvalidRequest                  422  a request that is well-formed but inconsistent
├── NoticeContainsPersonalData      422  a notice text repeating data the posts leaked
├── PayloadTooLarge                 413
├── EmailFailed                     502  the SMTP server refused or was unreachable
├── RegistryUnavailable             503  DOXWATCH_REGISTRY_KEY is not set
└── Unavailable                     503
"""

from __future__ import annotations

from services.web import NotFound, ProblemError


class IncidentNotFound(NotFound):
    """No incident with that id (or not one this caller may see)."""

    slug = "incident-not-found"
    title = "Incident not found"


class TaskNotFound(NotFound):
    """No task with that id on that incident."""

    slug = "task-not-found"
    title = "Task not found"


class PostNotFound(NotFound):
    """No stored post with that id."""

    slug = "post-not-found"
    title = "Post not found"


class OfficerNotFound(NotFound):
    """No registered officer with that id."""

    slug = "officer-not-found"
    title = "Officer not found"


class PersonalDataNotFound(NotFound):
    """No registered value with that id for that officer."""

    slug = "personal-data-not-found"
    title = "Registered value not found"


class TokenNotFound(NotFound):
    """No API token with that id."""

    slug = "token-not-found"
    title = "API token not found"


class InvalidCursor(ProblemError):
    """The ``cursor`` query parameter was not produced by this API."""

    status = 400
    slug = "invalid-cursor"
    title = "Invalid pagination cursor"


class InvalidTransition(ProblemError):
    """The requested status change is not a step of the handling path."""

    status = 409
    slug = "invalid-transition"
    title = "Status change not allowed"


class InvalidPersonalDataValue(ProblemError):
    """A value given to the registry is not valid for its type (the value is not echoed)."""

    status = 422
    slug = "invalid-personal-data"
    title = "Invalid personal data value"


class InvalidRequest(ProblemError):
    """The request is well-formed but contradicts itself or the stored state."""

    status = 422
    slug = "invalid-request"
    title = "Request cannot be applied"


class RegistryUnavailable(ProblemError):
    """The officer registry is off because DOXWATCH_REGISTRY_KEY is not set."""

    status = 503
    slug = "registry-unavailable"
    title = "Officer registry not configured"


class SubscriptionNotFound(NotFound):
    """No webhook subscription with that id."""

    slug = "subscription-not-found"
    title = "Webhook subscription not found"


class DeliveryNotFound(NotFound):
    """No delivery with that id."""

    slug = "delivery-not-found"
    title = "Delivery not found"


class DeliveryNotRetryable(ProblemError):
    """A retry was asked for a delivery that has not failed (it is pending, being sent or
    delivered)."""

    status = 409
    slug = "delivery-not-retryable"
    title = "Delivery cannot be retried"


class NoticeNotFound(NotFound):
    """No notice with that id."""

    slug = "notice-not-found"
    title = "Notice not found"


class PlatformNotFound(NotFound):
    """No platform with that id in the directory."""

    slug = "platform-not-found"
    title = "Platform not found"


class PlatformExists(ProblemError):
    """The directory already has a platform with that id."""

    status = 409
    slug = "platform-exists"
    title = "Platform already in the directory"


class NoticeConflict(ProblemError):
    """The notice's status does not allow this."""

    status = 409
    slug = "notice-conflict"
    title = "Not possible in the notice's current status"


class NoticeNotEditable(NoticeConflict):
    """Only drafts are edited: a sent notice stays as it was sent."""

    slug = "notice-not-editable"
    title = "Only draft notices can be edited"


class InvalidNoticeTransition(NoticeConflict):
    """The status change is not on the notice's path."""

    slug = "invalid-notice-transition"
    title = "Status change not allowed"


class JudgeAuthorisationMissing(NoticeConflict):
    """An art. 125p Sv order needs the examining judge's authorisation before it is sent."""

    slug = "judge-authorisation-missing"
    title = "Examining judge's authorisation missing"


class NoticeDeadlinePassed(NoticeConflict):
    """The deadline stated in the letter is already over."""

    slug = "notice-deadline-passed"
    title = "The notice's deadline has passed"


class NotSendableByEmail(NoticeConflict):
    """This notice cannot go by e-mail (its kind, or no e-mail address to send to)."""

    slug = "notice-not-sendable-by-email"
    title = "Notice cannot be sent by e-mail"


class EmailNotConfigured(NoticeConflict):
    """No SMTP server is configured."""

    slug = "email-not-configured"
    title = "E-mail is not configured"


class NoticeContainsPersonalData(ProblemError):
    """The text repeats personal data that the incident's posts leaked."""

    status = 422
    slug = "notice-contains-personal-data"
    title = "Notice repeats leaked personal data"


class EmailFailed(ProblemError):
    """The SMTP server refused the message or could not be reached."""

    status = 502
    slug = "email-failed"
    title = "Sending the e-mail failed"
