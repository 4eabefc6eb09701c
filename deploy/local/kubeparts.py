"""The optional Kubernetes parts of the stack: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok.

Every listener is on 127.0.0.1 on a port of ``Ports``. The apiserver authenticates clients by
static tokens and authorizes with Node and RBAC, so RBAC is real; ``--endpoint-reconciler-type=none``
because the ``kubernetes`` Service may not point at a loopback address. kwok plays kubelet for
the fake nodes that ``register_nodes`` creates, moving their pods to Running by its stages.
"""
from __future__ import annotations

import httpx

from deploy.local import kubebuild, kubepki
from deploy.local.layout import HOST, Layout, Ports
from deploy.local.parts import Launch, Options, Part

NODES = ("kwok-node-0", "kwok-node-1")
POD_CIDR = "10.244.0.0/16"


def apiserver_url(ports: Ports) -> str:
    """The apiserver's HTTPS URL."""
    return f"https://{HOST}:{ports.kube_apiserver}"


def https_ok(url: str, *, timeout: float = 2.0) -> bool:
    """Whether ``url`` answers 200 over TLS.

    Health only: the control plane's components serve self-signed certificates (the controller-manager's
    and scheduler's are made at each start), and /readyz, /healthz carry no secret, so the peer is not verified.
    """
    try:
        return httpx.get(url, timeout=timeout, verify=False).status_code == 200
    except httpx.HTTPError:
        return False


def _etcd(layout: Layout, ports: Ports, options: Options) -> Launch:
    data = layout.data / "etcd"
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o700)  # etcd refuses a data dir others can read
    client, peer = f"http://{HOST}:{ports.etcd}", f"http://{HOST}:{ports.etcd_peer}"
    return Launch([str(kubebuild.binary("etcd")), "--name=opsconsole", f"--data-dir={data}",
                   f"--listen-client-urls={client}", f"--advertise-client-urls={client}",
                   f"--listen-peer-urls={peer}", f"--initial-advertise-peer-urls={peer}",
                   f"--initial-cluster=opsconsole={peer}", "--log-level=warn"])


def _apiserver(layout: Layout, ports: Ports, options: Options) -> Launch:
    pki = layout.kubernetes
    kubepki.ensure(layout, apiserver_url(ports))
    return Launch([
        str(kubebuild.binary("kube-apiserver")),
        f"--etcd-servers=http://{HOST}:{ports.etcd}",
        f"--bind-address={HOST}", f"--advertise-address={HOST}", f"--secure-port={ports.kube_apiserver}",
        f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
        f"--client-ca-file={pki / 'ca.crt'}", f"--token-auth-file={pki / 'tokens.csv'}",
        f"--service-account-key-file={pki / 'sa.pub'}", f"--service-account-signing-key-file={pki / 'sa.key'}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-cluster-ip-range={kubepki.SERVICE_CIDR}",
        "--authorization-mode=Node,RBAC", "--endpoint-reconciler-type=none",
        f"--cert-dir={pki}", "--profiling=false",
    ])


def _controller_manager(layout: Layout, ports: Ports, options: Options) -> Launch:
    pki = layout.kubernetes
    return Launch([
        str(kubebuild.binary("kube-controller-manager")),
        f"--kubeconfig={pki / 'controller-manager.kubeconfig'}",
        f"--bind-address={HOST}", f"--secure-port={ports.kube_controller_manager}",
        # one controller-manager: no lease to wait for at start
        "--leader-elect=false",
        f"--service-account-private-key-file={pki / 'sa.key'}", f"--root-ca-file={pki / 'ca.crt'}",
        # each controller acts as its own service account, which the bootstrap RBAC policy grants what it needs
        # (the controller-manager's user alone may not, say, create a Deployment's ReplicaSets)
        "--use-service-account-credentials=true", f"--cert-dir={pki / 'controller-manager'}",
        f"--cluster-cidr={POD_CIDR}", "--profiling=false",
    ])


def _scheduler(layout: Layout, ports: Ports, options: Options) -> Launch:
    pki = layout.kubernetes
    return Launch([
        str(kubebuild.binary("kube-scheduler")),
        f"--kubeconfig={pki / 'scheduler.kubeconfig'}",
        f"--bind-address={HOST}", f"--secure-port={ports.kube_scheduler}",
        "--leader-elect=false", f"--cert-dir={pki / 'scheduler'}", "--profiling=false",
    ])


def _kwok(layout: Layout, ports: Ports, options: Options) -> Launch:
    pki = layout.kubernetes
    return Launch([
        str(kubebuild.binary("kwok")),
        f"--kubeconfig={pki / 'kwok.kubeconfig'}", f"--config={kubebuild.kwok_stages()}",
        "--manage-all-nodes=true", f"--server-address={HOST}:{ports.kwok}",
        f"--node-ip={HOST}", f"--cidr={POD_CIDR}", "--node-lease-duration-seconds=40",
    ], cwd=pki)


KUBE_PARTS: tuple[Part, ...] = (
    Part("etcd", lambda p: [p.etcd, p.etcd_peer], lambda p: f"http://{HOST}:{p.etcd}",
         lambda p: _etcd_ok(p), _etcd),
    Part("kube-apiserver", lambda p: [p.kube_apiserver], apiserver_url,
         lambda p: https_ok(f"{apiserver_url(p)}/readyz"), _apiserver),
    Part("kube-controller-manager", lambda p: [p.kube_controller_manager],
         lambda p: f"https://{HOST}:{p.kube_controller_manager}",
         lambda p: https_ok(f"https://{HOST}:{p.kube_controller_manager}/healthz"), _controller_manager),
    Part("kube-scheduler", lambda p: [p.kube_scheduler], lambda p: f"https://{HOST}:{p.kube_scheduler}",
         lambda p: https_ok(f"https://{HOST}:{p.kube_scheduler}/healthz"), _scheduler),
    Part("kwok", lambda p: [p.kwok], lambda p: f"http://{HOST}:{p.kwok}",
         lambda p: _http_ok(f"http://{HOST}:{p.kwok}/healthz"), _kwok),
)


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _etcd_ok(ports: Ports) -> bool:
    try:
        reply = httpx.get(f"http://{HOST}:{ports.etcd}/health", timeout=2.0)
        return reply.status_code == 200 and reply.json().get("health") == "true"
    except (httpx.HTTPError, ValueError):
        return False


def register_nodes(layout: Layout, names: tuple[str, ...] = NODES) -> list[str]:
    """Create the fake nodes kwok manages, unless they exist; what was created."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(str(layout.kubeconfig))
    try:
        core = client.CoreV1Api(api_client)
        existing = {n.metadata.name for n in core.list_node().items}
        made = []
        for name in names:
            if name in existing:
                continue
            core.create_node(client.V1Node(metadata=client.V1ObjectMeta(
                name=name, labels={"type": "kwok", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux"},
                annotations={"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"})))
            made.append(f"registered node {name}")
        return made
    finally:
        api_client.close()
