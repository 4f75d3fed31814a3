"""Every test runs on a database of its own: nothing one test writes is seen
by another, whatever order or worker they run in."""
from sqlalchemy import text

seen_urls = []


async def check_fresh_database_then_write(client, session, database_url):
    # Fresh: migrated to head (vmig's version table is there), and empty.
    head = await session.scalar(text("SELECT count(*) FROM vmig_version"))
    assert head == 4
    assert (await client.get("/users")).json() == []
    assert database_url not in seen_urls
    seen_urls.append(database_url)

    response = await client.post(
        "/users",
        json={"email": "same@example.com", "full_name": "S", "document_number": "SAME"},
    )
    # Would be 409 if an earlier test's user were visible here.
    assert response.status_code == 201, response.text


async def test_first_writer(client, session, database_url):
    await check_fresh_database_then_write(client, session, database_url)


async def test_second_writer_sees_nothing_of_the_first(client, session, database_url):
    await check_fresh_database_then_write(client, session, database_url)
