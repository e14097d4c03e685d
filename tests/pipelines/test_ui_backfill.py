"""A backfill launched the way the UI launches it (GraphQL on a real webserver, run by a real daemon) is one run per
organisation covering the whole date range, with the pinned Dagster's single-run backfill policy."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from dagster import DagsterInstance

from tests.pipelines.conftest import SECOND_ORG, SMALL_ORG, write_config

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ASSETS = [["raw", "raw_sandbox"], ["canonical", "tables"], ["signals", "apex_signal_values"],
          ["scores", "apex_dimension_scores"], ["scores", "apex_ecosystem_health"]]
LAUNCH = """mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dagster_services(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((ROOT / "config" / "dagster.yaml").read_text())
    env = dict(os.environ, DAGSTER_HOME=str(home), DAGSTER_DISABLE_TELEMETRY="1",
               APEX_CONFIG=write_config(tmp_path / "apex.yaml", [SMALL_ORG, SECOND_ORG]),
               WAREHOUSE_URL=f"sqlite:///{tmp_path}/warehouse.sqlite")
    # Create the instance's SQLite storage before the two services start: both would otherwise create it at once,
    # and the schedule storage can then record its migration twice ("alembic_version has more than one head"), a
    # failure seen once in a full run.
    with DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs(limit=1)
    port = _free_port()
    logs = tmp_path / "services.log"
    with open(logs, "w") as out:
        web = subprocess.Popen([str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1",
                                "-p", str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"], cwd=ROOT, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.5)
        else:
            pytest.fail(f"dagster-webserver did not start: {logs.read_text()[-2000:]}")
        yield port, env
    finally:
        for proc in (web, daemon):
            proc.terminate()
        for proc in (web, daemon):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_ui_backfill_is_one_run_per_organisation_over_the_whole_range(dagster_services, monkeypatch) -> None:
    port, env = dagster_services
    monkeypatch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
    with DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("organisations", ["tiny", "second"])
        names = [f"2026-03-{day:02d}|{org}" for day in range(1, 11) for org in ("tiny", "second")]
        response = requests.post(f"http://127.0.0.1:{port}/graphql", timeout=60, json={
            "query": LAUNCH,
            "variables": {"p": {"assetSelection": [{"path": key} for key in ASSETS], "partitionNames": names}}})
        assert response.json()["data"]["launchPartitionBackfill"]["__typename"] == "LaunchBackfillSuccess"
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            runs = instance.get_runs()
            if len(runs) == 2 and all(r.is_finished for r in runs):
                break
            time.sleep(2)
        runs = instance.get_runs()
        assert len(runs) == 2, [r.status for r in runs]
        assert all(r.status.value == "SUCCESS" for r in runs)
        ranges = sorted((r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
                        for r in runs)
        assert ranges == [("2026-03-01|second", "2026-03-10|second"), ("2026-03-01|tiny", "2026-03-10|tiny")]
