"""Self-test of the PostgreSQL helper used by end-to-end rotation tests."""
from pgserver import PostgresServer


def test_server_checks_passwords():
    with PostgresServer() as pg:
        assert pg.can_login("postgres", pg.superuser_password)
        assert not pg.can_login("postgres", "wrong")
        pg.psql("CREATE ROLE app LOGIN PASSWORD 'it''s fine'")
        assert pg.can_login("app", "it's fine")
        assert not pg.can_login("app", "its fine")
    assert not pg.directory.exists()
