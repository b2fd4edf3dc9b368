#!/usr/bin/env python3
"""Fake kubeadm: the commands the control-plane bootstrap runs against a cluster, acting on the fake
cluster in $FAKE_CLUSTER as kubeadm acts on a real one. upload-config stores the ClusterConfiguration
of --config as kubeadm does, with kubeadm's defaults filled in; addon all sets kube-proxy's image to
the configuration's version. Every call is recorded in calls.jsonl."""
import json
import os
import sys

import yaml

state = os.environ["FAKE_CLUSTER"]
args = sys.argv[1:]
with open(os.path.join(state, "calls.jsonl"), "a", encoding="utf-8") as log:
    log.write(json.dumps({"tool": "kubeadm", "args": args, "stdin": ""}) + "\n")


def option(name):
    return args[args.index(name) + 1]


def cluster_configuration():
    with open(option("--config"), encoding="utf-8") as handle:
        return next(doc for doc in yaml.safe_load_all(handle) if doc and doc.get("kind") == "ClusterConfiguration")


# What kubeadm (v1beta4) adds to a ClusterConfiguration it stores in kubeadm-config.
KUBEADM_DEFAULTS = {
    "caCertificateValidityPeriod": "87600h0m0s",
    "certificateValidityPeriod": "8760h0m0s",
    "certificatesDir": "/etc/kubernetes/pki",
    "dns": {},
    "encryptionAlgorithm": "RSA-2048",
    "imageRepository": "registry.k8s.io",
    "proxy": {},
    "scheduler": {},
}

if args[:2] == ["kubeconfig", "user"]:
    print("apiVersion: v1\nkind: Config\nusers: [{name: %s, user: {client-certificate-data: ZmFrZQ==}}]" % option("--client-name"))
elif args[:4] == ["init", "phase", "upload-config", "kubeadm"] and "--kubeconfig" in args:
    stored = dict(KUBEADM_DEFAULTS, **cluster_configuration())
    with open(os.path.join(state, "cluster-configuration.yaml"), "w", encoding="utf-8") as out:
        yaml.safe_dump(stored, out)
    print("[upload-config] Storing the configuration used in ConfigMap \"kubeadm-config\" in the \"kube-system\" Namespace")
elif args[:4] == ["init", "phase", "addon", "all"] and "--kubeconfig" in args:
    with open(os.path.join(state, "kube-proxy-image"), "w", encoding="utf-8") as out:
        out.write("registry.k8s.io/kube-proxy:%s" % cluster_configuration()["kubernetesVersion"])
    print("[addons] Applied essential addon: CoreDNS\n[addons] Applied essential addon: kube-proxy")
elif args[:4] == ["init", "phase", "addon", "coredns"] and "--kubeconfig" in args:
    print("[addons] Applied essential addon: CoreDNS")
elif args[:1] == ["join"] and "--config" in args:
    print("This node has joined the cluster and a new control plane instance was created")
else:
    sys.exit("fake kubeadm: no fake for %s" % " ".join(args))
