"""Webhook subscriptions and the delivery outbox (admins only; thin: rules in service.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from services.alerts.delivery import repository, service
from services.alerts.delivery.models import DeliveryStatus
from services.alerts.delivery.schemas import (
    DeliveryOut,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
)
from services.alerts.errors import DeliveryNotFound, DeliveryNotRetryable, SubscriptionNotFound
from services.security import Principal, Role
from services.web import DbSession, Forbidden, require, responses

subscriptions_router = APIRouter(prefix="/api/v1/subscriptions", tags=["webhooks"])
deliveries_router = APIRouter(prefix="/api/v1/deliveries", tags=["webhooks"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


@subscriptions_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionCreated,
    summary="Subscribe a URL to incident events (the signing secret is shown once)",
    responses=responses(Forbidden),
)
async def create_subscription(
    body: SubscriptionIn, principal: Admin, session: DbSession
) -> SubscriptionCreated:
    """Register a webhook; every request to it is signed with the returned secret."""
    sub, secret = await service.create_subscription(
        session, principal, name=body.name, url=body.url, events=body.events
    )
    return SubscriptionCreated(**SubscriptionOut.model_validate(sub).model_dump(), secret=secret)


@subscriptions_router.get(
    "",
    response_model=list[SubscriptionOut],
    summary="List webhook subscriptions (without secrets)",
    responses=responses(Forbidden),
)
async def list_subscriptions(_: Admin, session: DbSession) -> list[SubscriptionOut]:
    """Every subscription, active or not."""
    return [SubscriptionOut.model_validate(s) for s in await repository.list_subscriptions(session)]


@subscriptions_router.delete(
    "/{subscription_id}",
    response_model=SubscriptionOut,
    summary="Stop a webhook subscription",
    responses=responses(Forbidden, SubscriptionNotFound),
)
async def delete_subscription(
    subscription_id: str, principal: Admin, session: DbSession
) -> SubscriptionOut:
    """Deactivate: nothing more is queued for it, and what is queued fails."""
    sub = await service.deactivate_subscription(session, principal, subscription_id)
    if sub is None:
        raise SubscriptionNotFound(f"no subscription with id {subscription_id}")
    return SubscriptionOut.model_validate(sub)


@deliveries_router.get(
    "",
    response_model=list[DeliveryOut],
    summary="List deliveries, newest first (state only, never payloads)",
    responses=responses(Forbidden),
)
async def list_deliveries(
    _: Admin,
    session: DbSession,
    status: Annotated[DeliveryStatus | None, Query(description="Only this status.")] = None,
    incident_id: Annotated[str | None, Query(description="Only this incident's.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    """The outbox, for operators: what is pending, delivered or failed, and why."""
    rows = await repository.list_deliveries(
        session, status=status, incident_id=incident_id, limit=limit
    )
    return [DeliveryOut.model_validate(r) for r in rows]


@deliveries_router.post(
    "/{delivery_id}/retry",
    response_model=DeliveryOut,
    summary="Queue a failed delivery again (same delivery id, fresh attempts)",
    responses=responses(Forbidden, DeliveryNotFound, DeliveryNotRetryable),
)
async def retry_delivery(delivery_id: str, principal: Admin, session: DbSession) -> DeliveryOut:
    """Back to pending, due now."""
    try:
        row = await service.retry_delivery(session, principal, delivery_id)
    except service.NotRetryable as exc:
        raise DeliveryNotRetryable(str(exc)) from exc
    if row is None:
        raise DeliveryNotFound(f"no delivery with id {delivery_id}")
    return DeliveryOut.model_validate(row)
