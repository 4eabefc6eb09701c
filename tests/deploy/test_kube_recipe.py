"""The control plane's recipe without a server: go.mod replaces, version flags, tokens, kubeconfigs, state."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from deploy.local import kubebuild, kubepki
from deploy.local.layout import Layout, Ports, load_extras, save_ports
from deploy.local.stack import parts_for

GOMOD = """module k8s.io/kubernetes

go 1.24.0

require (
\tk8s.io/api v0.0.0
\tgithub.com/spf13/cobra v1.9.1
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/client-go => ./staging/src/k8s.io/client-go
\tgithub.com/example/fork => github.com/example/fork v1.2.3
)

replace k8s.io/kms => ./staging/src/k8s.io/kms
"""


def test_it_points_each_staging_module_at_its_published_twin():
    assert kubebuild.staging_replaces(GOMOD, "v0.34.4") == [
        "k8s.io/api => k8s.io/api v0.34.4",
        "k8s.io/client-go => k8s.io/client-go v0.34.4",
        "k8s.io/kms => k8s.io/kms v0.34.4",
    ]


@pytest.mark.parametrize("release, staging", [("v1.34.4", "v0.34.4"), ("v1.30.0", "v0.30.0")])
def test_it_names_the_staging_tag_of_a_release(release, staging):
    assert kubebuild.staging_version(release) == staging


def test_it_refuses_a_tag_that_is_no_release():
    with pytest.raises(ValueError, match="not a Kubernetes release"):
        kubebuild.staging_version("v0.34.4")


def test_it_stamps_the_release_version_into_the_binaries():
    flags = kubebuild.version_ldflags("v1.34.4", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert "-X k8s.io/component-base/version.gitVersion=v1.34.4" in flags
    assert "-X k8s.io/component-base/version.gitMinor=34" in flags
    assert "-X k8s.io/component-base/version.buildDate=2026-01-02T03:04:05Z" in flags


def test_it_writes_and_reads_back_the_token_file():
    tokens = {"admin": "t-admin", "controller-manager": "t-cm", "scheduler": "t-s", "kwok": "t-k"}
    text = kubepki.render_tokens(tokens)
    assert text.splitlines()[0] == 't-admin,opsconsole-admin,opsconsole-admin,"system:masters"'
    assert text.splitlines()[1] == "t-cm,system:kube-controller-manager,system:kube-controller-manager"


def test_it_reads_the_tokens_it_wrote(tmp_path):
    tokens = {"admin": "a", "controller-manager": "b", "scheduler": "c", "kwok": "d"}
    (tmp_path / "tokens.csv").write_text(kubepki.render_tokens(tokens))
    assert kubepki.read_tokens(tmp_path / "tokens.csv") == tokens


def test_it_renders_a_kubeconfig_with_one_context(tmp_path):
    config = yaml.safe_load(kubepki.render_kubeconfig("https://127.0.0.1:6443", tmp_path / "ca.crt", "tok",
                                                      user="admin"))
    assert config["current-context"] == "opsconsole"
    assert config["clusters"][0]["cluster"] == {"server": "https://127.0.0.1:6443",
                                                "certificate-authority": str(tmp_path / "ca.crt")}
    assert config["users"] == [{"name": "admin", "user": {"token": "tok"}}]


def test_it_makes_the_secrets_once_and_keeps_keys_private(tmp_path):
    layout = Layout(tmp_path)
    first = kubepki.ensure(layout, "https://127.0.0.1:1")
    assert len(first) == 4
    assert kubepki.ensure(layout, "https://127.0.0.1:2") == []
    assert (tmp_path / "kubernetes" / "ca.key").stat().st_mode & 0o777 == 0o600
    assert "https://127.0.0.1:2" in layout.kubeconfig.read_text()


def test_it_remembers_that_a_stack_runs_kubernetes(tmp_path):
    layout = Layout(tmp_path)
    assert load_extras(layout) == ()
    save_ports(layout, Ports(), extras=("kubernetes",))
    assert load_extras(layout) == ("kubernetes",)
    names = [p.name for p in parts_for(load_extras(layout))]
    assert names[6:] == ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"]
    assert len(parts_for(())) == 6
