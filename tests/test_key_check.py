"""A key's own base URL (OpenAI-compatible, Ollama) and the SSRF guard: checked when the key
is saved (form and vault) and when it is used ("Test key" and the LLM analysis path), under one
policy; the ``/models`` path built safely; "Test key" on a key that no longer decrypts."""

import socket

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import key_check, vault
from accounts.models import ApiKey
from analysis.engine import AnalysisOptions
from analysis.engine.factory import engine_for_project
from projects.models import LLMConfig, Project
from sentimatrix import crypto
from sentimatrix.mongo import collection
from tests.factories import make_project, make_user
from tests.fake_llm import FakeLLM
from tests.test_llm_engine import items_of, uci_texts

KEY = "sk-own-endpoint-0000000000001"
PUBLIC_BASE = "https://93.184.216.34/v1"


@pytest.fixture
def ana(db):
    return make_user()


@pytest.fixture
def dns(monkeypatch):
    """Names of the test resolved by a table; other names by the real resolver."""
    table: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            return real(host, port, *args, **kwargs)
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (ip, int(port or 80)),
            )
            for ip in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


def own_key(user, base_url: str, provider: str = "openai_compatible") -> ApiKey:
    """A key whose stored base URL is ``base_url`` as it is: saved before the guard, under
    another setting, or pointing at a name that now resolves elsewhere."""
    key = vault.store_key(user, provider=provider, name="Own", plaintext=KEY, base_url=PUBLIC_BASE)
    ApiKey.objects.filter(pk=key.pk).update(base_url=base_url)
    return ApiKey.objects.get(pk=key.pk)


def press_test(client, key) -> str:
    """Press "Test key" on the page; the message it shows."""
    client.force_login(key.user)
    response = client.post(reverse("accounts:api_key_test", args=[key.pk]))
    assert response.status_code == 302
    return [str(m) for m in get_messages(response.wsgi_request)][-1]  # earlier ones were never shown


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- on save ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data", "link-local / cloud metadata"),
        ("http://127.0.0.1:11434/v1", "loopback"),
        ("http://localhost:11434/v1", "loopback"),
        ("http://[::1]:8000/v1", "loopback"),
        ("http://10.0.0.5:8000/v1", "private network"),
        ("http://192.168.1.20/v1", "private network"),
        (f"{PUBLIC_BASE}?api-version=1", "query"),
        (f"{PUBLIC_BASE}#models", "fragment"),
        ("https://user:pw@93.184.216.34/v1", "credentials"),
    ],
)
def test_the_key_form_refuses_a_base_url_the_guard_refuses(ana, client, base_url, reason):
    client.force_login(ana)
    data = {"name": "Own", "provider": "openai_compatible", "key": KEY, "base_url": base_url}
    response = client.post(reverse("accounts:api_keys"), data)

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["base_url"])
    assert "not allowed" in errors and reason in errors
    assert not ApiKey.objects.filter(user=ana).exists()


def test_private_endpoints_are_accepted_only_where_the_operator_allows_them(ana, client, settings):
    client.force_login(ana)

    def save(base_url, provider="ollama"):
        data = {"name": base_url, "provider": provider, "key": KEY, "base_url": base_url}
        return client.post(reverse("accounts:api_keys"), data)

    response = save("http://10.0.0.5:11434/v1")
    assert "the operator to allow private endpoints" in " ".join(response.context["form"].errors["base_url"])

    settings.LLM_ALLOW_PRIVATE_ENDPOINTS = True
    assert save("http://10.0.0.5:11434/v1").status_code == 302
    assert save("http://localhost:11434/v1").status_code == 302
    # Cloud metadata and link-local addresses stay refused: no model lives there.
    response = save("http://169.254.169.254/v1")
    assert "link-local / cloud metadata" in " ".join(response.context["form"].errors["base_url"])
    assert sorted(ApiKey.objects.filter(user=ana).values_list("base_url", flat=True)) == [
        "http://10.0.0.5:11434/v1",
        "http://localhost:11434/v1",
    ]


def test_the_vault_refuses_it_too(ana):
    with pytest.raises(ValidationError, match="link-local / cloud metadata"):
        vault.store_key(ana, provider="ollama", name="x", plaintext=KEY, base_url="http://169.254.169.254/")
    assert vault.store_key(ana, provider="ollama", name="ok", plaintext=KEY, base_url=PUBLIC_BASE).pk


# --- "Test key" -----------------------------------------------------------------------------------


def test_test_key_sends_nothing_to_a_refused_address_and_reveals_no_port_state(ana, client, httpserver):
    httpserver.expect_request("/v1/models").respond_with_json({"data": []})
    listening = own_key(ana, httpserver.url_for("/v1"))
    closed = own_key(ana, f"http://127.0.0.1:{closed_port()}/v1")

    answers = [press_test(client, listening), press_test(client, closed)]

    assert httpserver.log == []
    for answer in answers:
        assert "not allowed" in answer and "loopback" in answer and "Nothing was sent" in answer
        for word in ("reached", "accepted", "rejected", "answered", "timed out", "refused"):
            assert word not in answer
    assert set(ApiKey.objects.filter(user=ana).values_list("is_valid", flat=True)) == {None}


def test_test_key_reaches_a_local_model_where_private_endpoints_are_allowed(
    ana, client, httpserver, settings
):
    settings.LLM_ALLOW_PRIVATE_ENDPOINTS = True
    httpserver.expect_request("/v1/models", headers={"Authorization": f"Bearer {KEY}"}).respond_with_json(
        {"data": []}
    )
    key = own_key(ana, httpserver.url_for("/v1/"))

    assert press_test(client, key) == "The provider accepted this key."
    [(request, _)] = httpserver.log
    assert request.path == "/v1/models"
    assert ApiKey.objects.get(pk=key.pk).is_valid is True


@pytest.mark.parametrize("suffix", ["?x=", "#frag", "?"])
def test_a_query_or_fragment_in_the_base_url_never_becomes_the_path(
    ana, client, httpserver, settings, suffix
):
    settings.LLM_ALLOW_PRIVATE_ENDPOINTS = True
    httpserver.expect_request("/v1").respond_with_json({"data": []})
    key = own_key(ana, httpserver.url_for("/v1") + suffix)

    answer = press_test(client, key)

    assert httpserver.log == []
    assert "not allowed" in answer and "query" in answer


def test_test_key_never_sends_to_a_name_with_a_metadata_address(ana, client, httpserver, settings, dns):
    """Private endpoints allowed: a name resolving to the local server and to the metadata
    service is still refused as a whole, before anything is sent."""
    settings.LLM_ALLOW_PRIVATE_ENDPOINTS = True
    httpserver.expect_request("/v1/models").respond_with_json({"data": []})
    dns["llm.internal.test"] = ["127.0.0.1", "169.254.169.254"]
    key = own_key(ana, f"http://llm.internal.test:{httpserver.port}/v1")

    answer = press_test(client, key)

    assert httpserver.log == []
    assert "not allowed" in answer and "169.254.169.254" in answer


def test_test_key_checks_the_address_again_when_it_is_used(ana, client, httpserver, dns):
    """Saved while the name resolved to a public address; it now resolves to loopback."""
    httpserver.expect_request("/v1/models").respond_with_json({"data": []})
    dns["llm.moved.test"] = ["93.184.216.34"]
    key = vault.store_key(
        ana, provider="openai_compatible", name="Moved", plaintext=KEY,
        base_url=f"http://llm.moved.test:{httpserver.port}/v1",
    )  # fmt: skip
    dns["llm.moved.test"] = ["127.0.0.1"]

    answer = press_test(client, key)

    assert httpserver.log == [] and "not allowed" in answer


def test_test_key_on_a_key_that_no_longer_decrypts_says_so(ana, client, settings):
    tampered = vault.store_key(ana, provider="openai", name="Tampered", plaintext=KEY)
    stored = collection("api_keys").find_one({"_id": tampered.pk})
    ciphertext = bytearray(stored["encrypted_key"])
    ciphertext[0] ^= 0x01
    collection("api_keys").update_one({"_id": tampered.pk}, {"$set": {"encrypted_key": bytes(ciphertext)}})

    answer = press_test(client, tampered)
    assert "cannot be decrypted" in answer and "Delete it and add it again" in answer
    assert "integrity" in answer

    orphan = vault.store_key(ana, provider="groq", name="Orphan", plaintext=KEY)
    settings.ENCRYPTION_KEYS = crypto.generate_key_spec("replacement")  # its master key is gone
    answer = press_test(client, orphan)
    assert "cannot be decrypted" in answer and "no longer configured" in answer

    client.force_login(ana)
    page = client.post(reverse("accounts:api_key_test", args=[orphan.pk]), follow=True)
    assert page.status_code == 200 and "cannot be decrypted" in page.content.decode()
    assert ApiKey.objects.get(pk=orphan.pk).is_valid is None


def test_the_check_itself_reports_instead_of_raising(ana):
    key = own_key(ana, "http://169.254.169.254/v1")
    result = key_check.check_key(key)
    assert result.valid is None and "not allowed" in result.message


# --- the LLM analysis path ------------------------------------------------------------------------


def _project_on(key) -> Project:
    project = make_project(key.user)
    project.config.llm = LLMConfig(
        provider=key.provider, model="qwen2.5-7b", api_key_id=key.pk, temperature=0.2, max_tokens=2000
    )
    project.save()
    return Project.objects.get(pk=project.pk)


def _analyse(project):
    engine = engine_for_project(project)
    engine.cache = None
    return engine.analyze(items_of(uci_texts(3)), AnalysisOptions())


def test_analysis_uses_the_same_policy_for_a_keys_base_url(ana, httpserver, settings):
    fake = FakeLLM(httpserver, api_key=KEY)
    project = _project_on(own_key(ana, fake.openai_base_url))

    refused = _analyse(project)
    assert fake.calls == [] and {r.engine for r in refused.values()} == {"local_fallback"}
    assert all("loopback" in r.notes["engine"] for r in refused.values())

    settings.LLM_ALLOW_PRIVATE_ENDPOINTS = True
    assert {r.engine for r in _analyse(project).values()} == {"llm"}
    assert fake.calls and fake.calls[0].protocol == "openai"


def test_analysis_never_reaches_a_metadata_address_even_with_private_endpoints(
    ana, httpserver, settings, dns
):
    settings.LLM_ALLOW_PRIVATE_ENDPOINTS = True
    settings.LLM_MAX_RETRIES = 0
    fake = FakeLLM(httpserver, api_key=KEY)
    dns["llm.internal.test"] = ["127.0.0.1", "169.254.169.254"]
    project = _project_on(own_key(ana, f"http://llm.internal.test:{httpserver.port}/v1"))

    results = _analyse(project)

    assert fake.calls == [] and httpserver.log == []
    assert {r.engine for r in results.values()} == {"local_fallback"}
    assert all("169.254.169.254" in r.notes["engine"] for r in results.values())


def test_analysis_never_moves_the_path_into_a_query(ana, httpserver, settings):
    settings.LLM_ALLOW_PRIVATE_ENDPOINTS = True
    fake = FakeLLM(httpserver, api_key=KEY)
    project = _project_on(own_key(ana, fake.openai_base_url + "?x="))

    results = _analyse(project)

    assert fake.calls == [] and httpserver.log == []
    assert {r.engine for r in results.values()} == {"local_fallback"}
