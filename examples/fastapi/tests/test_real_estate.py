from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from app.features.real_estate.model import RealEstate
from app.features.real_estate.repository import RealEstateRepository
from app.features.users.model import User, UserRole


async def create_user(client, email, role="owner"):
    response = await client.post(
        "/users",
        json={"email": email, "full_name": email, "role": role, "document_number": email},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def listing(owner_id, **overrides):
    data = {
        "owner_id": owner_id,
        "address": "Rua Augusta 100",
        "city": "Lisbon",
        "price": "250000.00",
        "bedrooms": 2,
    }
    data.update(overrides)
    return data


# --- through the routes ---------------------------------------------------------


async def test_create_and_get_real_estate(client):
    owner_id = await create_user(client, "owner@example.com")
    response = await client.post("/real-estate", json=listing(owner_id, price=199999.5))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["owner_id"] == owner_id
    assert created["price"] == "199999.50"
    assert created["bedrooms"] == 2

    response = await client.get(f"/real-estate/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


async def test_bedrooms_are_optional(client):
    owner_id = await create_user(client, "owner@example.com")
    data = listing(owner_id)
    del data["bedrooms"]
    response = await client.post("/real-estate", json=data)
    assert response.status_code == 201, response.text
    assert response.json()["bedrooms"] is None


async def test_owner_that_does_not_exist_is_404(client):
    response = await client.post("/real-estate", json=listing(owner_id=4242))
    assert response.status_code == 404
    assert response.json() == {"detail": "user 4242 not found"}


async def test_tenant_cannot_own_real_estate(client):
    tenant_id = await create_user(client, "tenant@example.com", role="tenant")
    response = await client.post("/real-estate", json=listing(tenant_id))
    assert response.status_code == 422
    assert "tenant" in response.json()["detail"]


@pytest.mark.parametrize("bad", [{"price": "-1"}, {"city": ""}, {"bedrooms": -1}])
async def test_invalid_listing_is_422(client, bad):
    owner_id = await create_user(client, "owner@example.com")
    response = await client.post("/real-estate", json=listing(owner_id, **bad))
    assert response.status_code == 422


async def test_missing_real_estate_is_404(client):
    assert (await client.get("/real-estate/1")).status_code == 404


async def test_list_filters(client):
    ana = await create_user(client, "ana@example.com")
    rui = await create_user(client, "rui@example.com", role="admin")
    rows = [
        listing(ana, address="A", city="Lisbon", price="300000", bedrooms=3),
        listing(ana, address="B", city="Porto", price="150000", bedrooms=1),
        listing(rui, address="C", city="Lisbon", price="120000", bedrooms=None),
        listing(rui, address="D", city="Lisbon", price="450000", bedrooms=4),
    ]
    for row in rows:
        assert (await client.post("/real-estate", json=row)).status_code == 201

    async def addresses(**params):
        response = await client.get("/real-estate", params=params)
        assert response.status_code == 200, response.text
        return [r["address"] for r in response.json()]

    assert await addresses() == ["A", "B", "C", "D"]
    assert await addresses(owner_id=ana) == ["A", "B"]
    assert await addresses(city="Lisbon") == ["A", "C", "D"]
    assert await addresses(city="Lisbon", max_price="300000") == ["A", "C"]
    assert await addresses(min_bedrooms=2) == ["A", "D"]
    assert await addresses(owner_id=rui, min_bedrooms=1) == ["D"]
    assert await addresses(limit=2, offset=1) == ["B", "C"]
    assert await addresses(city="Faro") == []


# --- the repository, on a session of its own ---------------------------------------


async def test_repository_list_by_owner_and_price(session):
    owner = User(email="o@example.com", full_name="O", role=UserRole.owner, document_number="O1")
    session.add(owner)
    await session.flush()
    repo = RealEstateRepository(session)
    cheap = await repo.add(
        RealEstate(owner_id=owner.id, address="X", city="Braga", price=Decimal("99000"))
    )
    await repo.add(
        RealEstate(owner_id=owner.id, address="Y", city="Braga", price=Decimal("99000.01"))
    )
    await session.commit()

    found = await repo.list(owner_id=owner.id, max_price=Decimal("99000"))
    assert [r.id for r in found] == [cheap.id]
    assert (await repo.get(cheap.id)).price == Decimal("99000.00")


async def test_database_enforces_owner_foreign_key(session):
    # The service checks the owner first; the foreign key from the
    # migrations is what holds when something else writes the table.
    repo = RealEstateRepository(session)
    with pytest.raises(IntegrityError, match="fk_real_estate_owner_id_users"):
        await repo.add(RealEstate(owner_id=777, address="Z", city="Faro", price=Decimal("1")))
