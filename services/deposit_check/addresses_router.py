"""HTTP only: the admin API that declares the casino's addresses (/v1/addresses, scope `admin`)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from deposit_check.ownership.admin import OwnershipAdmin
from deposit_check.ownership.schemas import (
    EXAMPLES,
    AddressesDeleted,
    AddressesPut,
    AddressesRequest,
    AddressLookup,
)
from deposit_check.verdict import account_of, address_owner
from desk_common.auth import Caller, requires
from desk_common.body import StrictJsonRoute
from desk_common.openapi import auth_error_docs, error_doc

ADMIN_SCOPE, ADMIN_PURPOSE = "admin", "declaring the casino's addresses"

router = APIRouter(prefix="/v1/addresses", tags=["addresses"], route_class=StrictJsonRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **auth_error_docs(
        "The key's `scopes` do not list `admin` (a key without `scopes` does not have it).", ADMIN_SCOPE, ADMIN_PURPOSE
    ),
    422: error_doc(
        "An item is not valid (`invalid_entries`: each one named, nothing written), the chain is not "
        "configured (`unknown_chain`), or `[ownership] secret` is not set (`ownership_not_configured`).",
        "invalid_entries",
        "addresses.3: not a litecoin regtest address (ltc1q... is a litecoin mainnet address); nothing was written",
    ),
    503: error_doc("The ownership index (Redis) did not answer.", "unavailable", "ownership index: timeout"),
}


admin_caller = requires(ADMIN_SCOPE, ADMIN_PURPOSE)


async def get_admin(request: Request) -> OwnershipAdmin:
    admin: OwnershipAdmin = request.app.state.ownership_admin
    return admin


Admin = Annotated[OwnershipAdmin, Depends(get_admin)]
Items = Annotated[AddressesRequest, Body(openapi_examples=EXAMPLES)]
AdminKey = Depends(admin_caller)


def _items(body: AddressesRequest) -> list[tuple[int | str, str | None, Any]]:
    return [(f"addresses.{i}", item.address, item.account) for i, item in enumerate(body.addresses)]


@router.put("", response_model=AddressesPut, responses=_RESPONSES, summary="Declare addresses as the casino's")
async def put_addresses(body: Items, admin: Admin, _: Caller = AdminKey) -> AddressesPut:
    """Declare the addresses (with their player accounts) as the casino's deposit addresses; needs scope
    `admin`. Idempotent: an address already declared with the same account is counted `unchanged`."""
    counts = await admin.put(body.chain, _items(body))
    return AddressesPut(
        chain=body.chain,
        added=counts.added,
        updated=counts.updated,
        unchanged=counts.unchanged,
        version=await admin.version(body.chain),
    )


@router.delete("", response_model=AddressesDeleted, responses=_RESPONSES, summary="Remove declared addresses")
async def delete_addresses(body: Items, admin: Admin, _: Caller = AdminKey) -> AddressesDeleted:
    """Accounts in the body are ignored; an address not declared is counted `absent`."""
    counts = await admin.delete(body.chain, _items(body))
    return AddressesDeleted(
        chain=body.chain, deleted=counts.deleted, absent=counts.absent, version=await admin.version(body.chain)
    )


@router.get(
    "/{chain}/{address}", response_model=AddressLookup, responses=_RESPONSES, summary="Is an address the casino's"
)
async def lookup_address(chain: str, address: str, admin: Admin, _: Caller = AdminKey) -> AddressLookup:
    """What the ownership index says of one address (scope `admin`): as a check would see it."""
    canonical, owner = await admin.lookup(chain, address)
    return AddressLookup(
        chain=chain, address=canonical, address_owner=address_owner(owner).value, account=account_of(owner)
    )
