#!/usr/bin/env python3
"""Fake kubectl: stands in for kubectl talking to a Kubernetes API server, which these machines cannot
run. It keeps the objects the control-plane bootstrap touches as files in $FAKE_CLUSTER and answers as
kubectl answers a real API server: same output, same "Error from server (Reason)" lines, same exit
codes (checked against kubectl 1.32 and a stub API server). Every call is recorded in calls.jsonl."""
import json
import os
import sys

state = os.environ["FAKE_CLUSTER"]
LEASE = "kraken-control-plane-join"
LEASE_RESOURCE = 'leases.coordination.k8s.io "%s"' % LEASE


def path(name):
    return os.path.join(state, name)


def read(name, default=None):
    try:
        with open(path(name), encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return default


def write(name, text):
    with open(path(name), "w", encoding="utf-8") as handle:
        handle.write(text)


def fail(reason, message):
    sys.stderr.write("Error from server (%s): %s\n" % (reason, message))
    sys.exit(1)


def stored_lease():
    text = read("lease.json")
    return json.loads(text) if text else None


def store_lease(lease, previous):
    version = int(previous["metadata"]["resourceVersion"]) + 1 if previous else int(read("next-resource-version", "100"))
    lease["metadata"]["resourceVersion"] = str(version)
    write("lease.json", json.dumps(lease))


def holder_releases_now():
    """holder-releases-after N: the holder releases the lock once N of our creates have failed."""
    left = read("holder-releases-after")
    if left is None or int(left) > 0:
        if left is not None:
            write("holder-releases-after", str(int(left) - 1))
        return False
    os.remove(path("holder-releases-after"))
    return True


args = sys.argv[1:]
stdin = sys.stdin.read() if "-f" in args else ""
with open(path("calls.jsonl"), "a", encoding="utf-8") as log:
    log.write(json.dumps({"tool": "kubectl", "args": args, "stdin": stdin}) + "\n")

options = {}
words = []
i = 0
while i < len(args):
    if args[i] in ("--kubeconfig", "-n", "-o", "-f", "-l", "--raw"):
        options[args[i]] = args[i + 1]
        i += 2
    else:
        words.append(args[i])
        i += 1
if "--kubeconfig" not in options:
    sys.exit("fake kubectl: the bootstrap always passes --kubeconfig")
verb, what = words[0], words[1:]

if verb == "create" and options.get("-f") == "-":
    lease = json.loads(stdin)
    current = stored_lease()
    if current is not None:
        if holder_releases_now():
            # The holder has joined and released the lock just now: this create goes through.
            current = None
            os.remove(path("lease.json"))
        else:
            fail("AlreadyExists", 'error when creating "STDIN": %s already exists' % LEASE_RESOURCE)
    store_lease(lease, current)
    print("lease.coordination.k8s.io/%s created" % LEASE)
elif verb == "replace" and options.get("-f") == "-":
    lease = json.loads(stdin)
    current = stored_lease()
    if current is None:
        fail("NotFound", 'error when replacing "STDIN": %s not found' % LEASE_RESOURCE)
    rival = read("rival-on-replace")
    if rival is not None:
        # Another node replaced the stale lease a moment earlier: it holds it now, renewed.
        os.remove(path("rival-on-replace"))
        taken = json.loads(json.dumps(current))
        taken["spec"].update({"holderIdentity": rival, "renewTime": lease["spec"]["renewTime"], "acquireTime": lease["spec"]["renewTime"]})
        store_lease(taken, current)
        current = stored_lease()
    if lease["metadata"].get("resourceVersion") != current["metadata"]["resourceVersion"]:
        fail("Conflict", 'error when replacing "STDIN": Operation cannot be fulfilled on %s: the object has been modified; please apply your changes to the latest version and try again' % LEASE_RESOURCE)
    store_lease(lease, current)
    print("lease.coordination.k8s.io/%s replaced" % LEASE)
elif verb == "get" and what == ["lease", LEASE] and options.get("-o") == "json":
    current = stored_lease()
    if current is None:
        fail("NotFound", "%s not found" % LEASE_RESOURCE)
    print(json.dumps(current, indent=4))
elif verb == "delete" and options.get("--raw") == "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/" + LEASE and options.get("-f") == "-":
    body = json.loads(stdin)
    current = stored_lease()
    if current is None:
        fail("NotFound", "%s not found" % LEASE_RESOURCE)
    wanted = body.get("preconditions", {}).get("resourceVersion")
    if wanted is not None and wanted != current["metadata"]["resourceVersion"]:
        fail("Conflict", "Operation cannot be fulfilled on %s: Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object meta: %s" % (LEASE_RESOURCE, wanted, current["metadata"]["resourceVersion"]))
    os.remove(path("lease.json"))
    print(json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}))
elif verb == "get" and what == ["configmap", "kubeadm-config"] and options.get("-o") == "jsonpath={.data.ClusterConfiguration}":
    text = read("cluster-configuration.yaml")
    if text is None:
        fail("NotFound", 'configmaps "kubeadm-config" not found')
    sys.stdout.write(text)
elif verb == "get" and what == ["nodes"] and options.get("-l") == "node-role.kubernetes.io/control-plane":
    # nodes.json holds the NodeLists of successive calls: the cluster as time goes on; the last one stays.
    lists = json.loads(read("nodes.json", '[{"items": []}]'))
    if len(lists) > 1:
        write("nodes.json", json.dumps(lists[1:]))
    nodes = lists[0]
    if options.get("-o") == "json":
        print(json.dumps(dict(nodes, apiVersion="v1", kind="List"), indent=4))
    elif options.get("-o") == "name":
        for node in nodes["items"]:
            print("node/" + node["metadata"]["name"])
    else:
        sys.exit("fake kubectl: unexpected output format %s" % options.get("-o"))
elif verb == "get" and what[:2] == ["daemonset", "kube-proxy"] and options.get("-o") == "jsonpath={.spec.template.spec.containers[0].image}":
    image = read("kube-proxy-image")
    if image is None:
        if "--ignore-not-found" not in what:
            fail("NotFound", 'daemonsets.apps "kube-proxy" not found')
    else:
        sys.stdout.write(image)
else:
    sys.exit("fake kubectl: no fake for %s" % " ".join(args))
