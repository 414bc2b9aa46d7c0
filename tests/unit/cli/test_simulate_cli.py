"""``leadflow simulate FILE``: the user's own campaign file, dry-run offline, through Typer's CliRunner.

Every test runs with the network shut: any socket to an address other than loopback raises, so
a simulation that tried to send, fetch or call a model provider would fail here.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from leadflow.cli.main import app

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "campaign.yaml"
runner = CliRunner()


class NetworkRefused(AssertionError):
    pass


def _loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):
        return True  # an AF_UNIX path or the like: not the network
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name would need a DNS lookup: that leaves the machine too


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Refuse every non-loopback connection (and name lookup); yields the attempts seen."""
    attempts: list[Any] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        attempts.append(address)
        raise NetworkRefused(f"create_connection to {address}")

    def connect(self: socket.socket, address: Any) -> None:
        if not _loopback(address):
            attempts.append(address)
            raise NetworkRefused(f"connect to {address}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _loopback(address):
            attempts.append(address)
            raise NetworkRefused(f"connect_ex to {address}")
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(host)
        raise NetworkRefused(f"getaddrinfo {host}")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts


def _campaign_dir(tmp_path: Path, *, autonomy: str | None = None) -> Path:
    """The repository's example campaign with its three Markdown documents beside it."""
    folder = tmp_path / "mine"
    (folder / "docs").mkdir(parents=True)
    text = EXAMPLE.read_text(encoding="utf-8")
    if autonomy is not None:
        text = re.sub(r"^autonomy: .*$", f"autonomy: {autonomy}", text, flags=re.M)
    (folder / "campaign.yaml").write_text(text, encoding="utf-8")
    for name, body in (("product-overview", "Brightline shows where a pipeline leaks between demo and close."),
                       ("pricing", "Brightline Pro costs $30 per seat per month, billed yearly."),
                       ("security-faq", "Brightline is SOC 2 Type II audited; data stays in the EU or US.")):
        (folder / "docs" / f"{name}.md").write_text(f"# {name}\n\n{body}\n", encoding="utf-8")
    return folder


def _funnel_row(output: str, step: str) -> int:
    match = re.search(rf"{re.escape(step)}\s*│\s*(\d+)\s*│", output)
    assert match, f"no funnel row {step!r} in:\n{output[:2000]}"
    return int(match.group(1))


def test_the_guard_refuses_the_network_but_not_loopback(offline: list[Any]) -> None:
    """The control: the fixture does stop a connection leaving the machine."""
    with pytest.raises(NetworkRefused):
        socket.create_connection(("93.184.216.34", 80))
    with pytest.raises(NetworkRefused):
        socket.socket().connect(("93.184.216.34", 80))
    assert len(offline) == 2
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())  # loopback is allowed


def test_simulate_the_example_campaign_prints_the_funnel_drafts_and_holds(
    tmp_path: Path, offline: list[Any]
) -> None:
    folder = _campaign_dir(tmp_path)
    result = runner.invoke(app, ["simulate", str(folder / "campaign.yaml"), "-n", "8", "--days", "14", "--seed", "3"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert offline == [], f"the simulation tried the network: {offline}"
    assert "Funnel of campaign 'pipeline-pilot'" in out
    assert _funnel_row(out, "leads") == 8
    first_touches = _funnel_row(out, "first touch sent (response)")
    assert 0 < first_touches <= 8
    assert "3 document(s) of the campaign" in out
    # draft samples: each agent's messages in full, from the campaign's own senders, with its footer
    assert "response -> " in out and "Subject: " in out
    assert out.count("500 Howard Street, Suite 300") >= 2
    assert re.search(r"from (maya\.chen|leo\.park)@brightline\.example", out)
    assert "sales@leadflow.example" not in out and "Northwind" not in out  # never the demo's identity
    # the example campaign reviews first touches: each lead's first message would be held
    assert "Would be held for review (autonomy: review_first_touch)" in out
    held = re.search(r"(\d+) held: review_first_touch", out)
    assert held and int(held.group(1)) == first_touches
    assert "Nothing was sent" in out


def test_simulate_is_reproducible_for_a_seed(tmp_path: Path, offline: list[Any]) -> None:
    folder = _campaign_dir(tmp_path)
    args = ["simulate", str(folder / "campaign.yaml"), "-n", "5", "--days", "7", "--seed", "11"]
    first, second = runner.invoke(app, args), runner.invoke(app, args)
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    assert first.output == second.output


def test_simulate_your_own_leads_from_a_csv_with_review_all(tmp_path: Path, offline: list[Any]) -> None:
    folder = _campaign_dir(tmp_path, autonomy="review_all")
    csv = tmp_path / "leads.csv"
    csv.write_text(
        "first_name,last_name,email,company,title,industry,timezone\n"
        "Ann,Lee,ann.lee@acme.example,Acme,VP Sales,software,America/Chicago\n"
        "Bo,Kim,bo.kim@globex.example,Globex,Head of Sales,saas,America/New_York\n"
        "Cy,Ray,cy.ray@initech.example,Initech,Sales Operations Manager,fintech,America/Los_Angeles\n",
        encoding="utf-8",
    )
    shutil.copy(csv, folder / "leads.csv")
    result = runner.invoke(app, ["simulate", str(folder / "campaign.yaml"), "--leads", str(csv), "--days", "10"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert offline == []
    assert _funnel_row(out, "leads") == 3 and "(leads.csv)" in out
    assert re.search(r"-> (Ann Lee|Bo Kim|Cy Ray) \(email", out)
    written = re.search(r"\((\d+) written in all\)", out)
    held = re.search(r"Would be held for review \(autonomy: review_all\): (\d+) of (\d+) messages", out)
    assert written and held and held.group(1) == held.group(2) == written.group(1)  # every message held


def test_a_bad_campaign_file_is_refused_naming_the_key(tmp_path: Path, offline: list[Any]) -> None:
    folder = _campaign_dir(tmp_path)
    bad = folder / "campaign.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace('start: "08:30"', "start: 9am"), encoding="utf-8")
    result = runner.invoke(app, ["simulate", str(bad)])
    assert result.exit_code == 1
    assert "cannot simulate" in result.output and "sending.window.start" in result.output
