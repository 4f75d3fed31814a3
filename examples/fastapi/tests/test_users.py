import pytest
from sqlalchemy.exc import IntegrityError

from app.features.users.model import User, UserRole
from app.features.users.repository import UserRepository


def payload(**overrides):
    data = {
        "email": "ana@example.com",
        "full_name": "Ana Lima",
        "role": "owner",
        "document_number": "DOC-1",
    }
    data.update(overrides)
    return data


# --- through the routes ---------------------------------------------------------


async def test_create_and_get_user(client):
    response = await client.post("/users", json=payload(email=" Ana@Example.COM "))
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["email"] == "ana@example.com"
    assert user["role"] == "owner"
    assert user["created_at"]

    response = await client.get(f"/users/{user['id']}")
    assert response.status_code == 200
    assert response.json() == user


async def test_role_defaults_to_tenant(client):
    data = payload()
    del data["role"]
    response = await client.post("/users", json=data)
    assert response.status_code == 201, response.text
    assert response.json()["role"] == "tenant"


async def test_duplicate_email_is_409(client):
    assert (await client.post("/users", json=payload())).status_code == 201
    response = await client.post(
        "/users", json=payload(email="ANA@example.com", document_number="DOC-2")
    )
    assert response.status_code == 409
    assert "email" in response.json()["detail"]


async def test_duplicate_document_number_is_409(client):
    assert (await client.post("/users", json=payload())).status_code == 201
    response = await client.post("/users", json=payload(email="bia@example.com"))
    assert response.status_code == 409
    assert "document number" in response.json()["detail"]


@pytest.mark.parametrize(
    "bad",
    [{"email": "not-an-email"}, {"role": "landlord"}, {"document_number": ""}],
)
async def test_invalid_input_is_422(client, bad):
    response = await client.post("/users", json=payload(**bad))
    assert response.status_code == 422


async def test_missing_user_is_404(client):
    response = await client.get("/users/999")
    assert response.status_code == 404
    assert response.json() == {"detail": "user 999 not found"}


async def test_list_users_filters_by_role_and_pages(client):
    for i, role in enumerate(["owner", "tenant", "owner", "admin"]):
        response = await client.post(
            "/users", json=payload(email=f"u{i}@example.com", document_number=f"D{i}", role=role)
        )
        assert response.status_code == 201, response.text

    everyone = (await client.get("/users")).json()
    assert [u["email"] for u in everyone] == [f"u{i}@example.com" for i in range(4)]

    owners = (await client.get("/users", params={"role": "owner"})).json()
    assert [u["email"] for u in owners] == ["u0@example.com", "u2@example.com"]

    page = (await client.get("/users", params={"limit": 2, "offset": 1})).json()
    assert [u["email"] for u in page] == ["u1@example.com", "u2@example.com"]


# --- the repository, on a session of its own ---------------------------------------


async def test_repository_add_get_and_lookups(session):
    users = UserRepository(session)
    user = await users.add(
        User(email="rui@example.com", full_name="Rui", role=UserRole.admin, document_number="X1")
    )
    await session.commit()

    assert user.id is not None
    assert (await users.get(user.id)).email == "rui@example.com"
    assert (await users.get_by_email("rui@example.com")).id == user.id
    assert (await users.get_by_document_number("X1")).id == user.id
    assert await users.get_by_email("nobody@example.com") is None
    assert [u.id for u in await users.list(role=UserRole.admin)] == [user.id]
    assert await users.list(role=UserRole.tenant) == []


async def test_database_enforces_unique_email(session):
    # The constraint comes from the migrations, not from the service's check.
    users = UserRepository(session)
    await users.add(User(email="a@example.com", full_name="A", document_number="1"))
    with pytest.raises(IntegrityError, match="uq_users_email"):
        await users.add(User(email="a@example.com", full_name="B", document_number="2"))
