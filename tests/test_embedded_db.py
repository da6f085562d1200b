from pymongo import MongoClient

from sentimatrix import embedded_db


def test_start_accept_stop_restart_keeps_data(tmp_path):
    server = embedded_db.ensure_running(tmp_path)
    assert server.owned
    try:
        client = MongoClient(server.uri, serverSelectionTimeoutMS=5000)
        client.demo.items.insert_many([{"n": i} for i in range(5)])
        client.close()
        # A second process (or call) reuses the running server instead of starting one.
        again = embedded_db.ensure_running(tmp_path)
        assert (again.pid, again.port, again.owned) == (server.pid, server.port, False)
    finally:
        embedded_db.stop(server)
    assert not embedded_db.ping(server.port, timeout=0.5)
    assert embedded_db.running_server(tmp_path) is None

    restarted = embedded_db.ensure_running(tmp_path)
    try:
        client = MongoClient(restarted.uri, serverSelectionTimeoutMS=5000)
        assert sorted(d["n"] for d in client.demo.items.find()) == [0, 1, 2, 3, 4]
        client.close()
    finally:
        embedded_db.stop(restarted)


def test_stale_state_file_starts_a_new_server(tmp_path):
    (tmp_path / embedded_db.STATE_FILE).write_text('{"pid": 999999, "port": 1}')
    server = embedded_db.ensure_running(tmp_path)
    try:
        assert server.owned and server.port != 1
        assert embedded_db.ping(server.port)
    finally:
        embedded_db.stop(server)


def test_with_database_puts_name_in_path():
    uri = "mongodb://user:pw@db.example:27017/?authSource=admin"
    assert embedded_db.with_database(uri, "app") == "mongodb://user:pw@db.example:27017/app?authSource=admin"
