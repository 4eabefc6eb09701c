import subprocess
import sys

import pytest
import yaml

from collectors.logship.config import load_config, write_demo_config
from console.errors import UsageProblem
from deploy.local.layout import Layout, Ports

GOOD = {
    "paths": ["logs/*.log"],
    "elasticsearch": {"url": "http://127.0.0.1:9200/"},
    "checkpoint_dir": "cp",
    "dead_letter_path": "dead.ndjson",
}


def write(tmp_path, config) -> object:
    path = tmp_path / "logship.yml"
    path.write_text(yaml.safe_dump(config) if isinstance(config, dict) else config)
    return path


def test_it_loads_a_config_with_defaults_and_paths_from_its_folder(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.paths == [str(tmp_path / "logs/*.log")]
    assert config.checkpoint_dir == tmp_path / "cp"
    assert config.elasticsearch.url == "http://127.0.0.1:9200"
    assert config.index_prefix == "logs-opsconsole"
    assert (config.metrics.host, config.metrics.port) == ("127.0.0.1", 9465)


@pytest.mark.parametrize("change, key", [
    pytest.param({"paths": []}, "paths", id="no paths"),
    pytest.param({"elasticsearch": {"url": "127.0.0.1:9200"}}, "elasticsearch.url", id="url without scheme"),
    pytest.param({"elasticsearch": {}}, "elasticsearch.url", id="url missing"),
    pytest.param({"batch": {"max_lines": 0}}, "batch.max_lines", id="zero batch lines"),
    pytest.param({"batch": {"max_age_seconds": "soon"}}, "batch.max_age_seconds", id="age not a number"),
    pytest.param({"metrics": {"listen": "9465"}}, "metrics.listen", id="listen without host"),
    pytest.param({"index_prefix": "Logs"}, "index_prefix", id="uppercase prefix"),
    pytest.param({"poll_interval_seconds": -1}, "poll_interval_seconds", id="negative poll"),
    pytest.param({"batch_size": 10}, "batch_size", id="unknown key"),
    pytest.param({"max_in_flight_bytes": 10}, "max_in_flight_bytes", id="in-flight smaller than a batch"),
    pytest.param({"multiline": {"pattern": "^(unclosed"}}, "multiline.pattern", id="multiline pattern not a regex"),
    pytest.param({"multiline": {"negate": True}}, "multiline.pattern", id="multiline without a pattern"),
    pytest.param({"max_line_bytes": 10}, "max_line_bytes", id="line limit too small"),
])
def test_it_names_the_bad_key(tmp_path, change, key):
    with pytest.raises(UsageProblem, match=key) as caught:
        load_config(write(tmp_path, GOOD | change))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("text, message", [
    pytest.param("paths: [", "not valid YAML", id="bad YAML"),
    pytest.param("- a\n- b\n", "mapping", id="not a mapping"),
])
def test_it_refuses_a_file_that_is_not_a_config(tmp_path, text, message):
    with pytest.raises(UsageProblem, match=message):
        load_config(write(tmp_path, text))


def test_it_reads_a_multiline_rule(tmp_path):
    config = load_config(write(tmp_path, GOOD | {"multiline": {"pattern": r"^\s", "flush_seconds": 0.5}}))
    assert (config.multiline.pattern, config.multiline.negate, config.multiline.flush_seconds) == (r"^\s", False, 0.5)


def test_it_says_when_the_file_is_missing(tmp_path):
    with pytest.raises(UsageProblem, match="cannot read"):
        load_config(tmp_path / "nope.yml")


def test_it_writes_a_demo_config_for_the_local_stack(tmp_path):
    layout = Layout(tmp_path / "home")
    ports = Ports(elasticsearch=19201, logship_metrics=19466)
    config = load_config(write_demo_config(layout, ports))
    assert config.paths == [str(layout.service_logs / "*.log")]
    assert config.elasticsearch.url == "http://127.0.0.1:19201"
    assert config.checkpoint_dir == layout.data / "logship"
    assert config.metrics.port == 19466


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        pytest.param(("--config", "missing.toml"), "cannot read", id="a config that is not there"),
        pytest.param(("--config",), "--config", id="an option without its value"),
        pytest.param(("--tail-forever",), "--tail-forever", id="an unknown option"),
    ],
)
def test_its_command_says_what_is_wrong_in_one_line(tmp_path, args, mentions):
    result = subprocess.run([sys.executable, "-m", "collectors.logship", *args], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("logship: error:") and result.stderr.count("\n") == 1, result.stderr
    assert mentions in result.stderr
