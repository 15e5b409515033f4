"""The zygote: a clean interpreter with numpy loaded that forks one sandbox child per request.

Started by `client.Zygote` as `python -I -S zygote.py CONFIG_JSON`; CONFIG_JSON names the control socket fd.
Once loaded it answers {"ready": true, "plan": ...} on that socket: the plan of its children's root file
system (`rootfs.plan`), read off its own memory. It never runs submission code itself and holds nothing
secret: hidden tests and expected values live only in the grader.
"""

import json
import os
import signal
import socket
import sys

PR_SET_CHILD_SUBREAPER = 36


def main() -> None:
    config = json.loads(sys.argv[1])
    control = socket.socket(fileno=config["control_fd"])
    search_path = list(sys.path)  # -I -S: the standard library only
    sys.path[:0] = [config["tito_root"]]
    sys.path.extend(config["site_paths"])
    import numpy

    from tito.sandbox import isolation, rootfs, runtime  # noqa: F401 - runtime is what every child runs

    numpy.linalg.inv(numpy.eye(4) @ numpy.eye(4))  # load the BLAS and LAPACK code children will use
    sys.path.remove(config["tito_root"])
    child_path = list(sys.path)
    plan = rootfs.plan(os.path.dirname(numpy.__file__), search_path)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    isolation._libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    control.sendall(json.dumps({"ready": True, "plan": plan}).encode() + b"\n")
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 20, 3)
        except OSError:
            return
        if not message:
            return
        request = json.loads(message)
        request["sys_path"] = child_path
        request["plan"] = plan
        proto_fd, out_fd, watch_fd = fds
        reply = spawn(request, proto_fd, out_fd, watch_fd, control)
        try:
            pidfd = [os.pidfd_open(reply["pid"])]
        except OSError:  # the child is already gone
            pidfd = []
        socket.send_fds(control, [json.dumps(reply).encode()], pidfd)
        for fd in pidfd:
            os.close(fd)


def spawn(config: dict, proto_fd: int, out_fd: int, watch_fd: int, control: socket.socket) -> dict:
    """Fork the child; with namespaces, through an intermediate process so the child is PID 1 of its own."""
    from tito.sandbox import isolation, runtime

    read_end, write_end = os.pipe()
    first = os.fork()
    if first == 0:
        control.close()
        os.close(read_end)
        os.setsid()
        if config["namespaces"]:
            try:
                isolation.unshare(isolation.NAMESPACES)
            except OSError as error:
                config["namespaces_failed"] = str(error)
        child = os.fork()
        if child == 0:
            os.close(write_end)
            runtime.run_child(config, proto_fd, out_fd, watch_fd)
        os.write(write_end, str(child).encode())
        os._exit(0)
    os.close(write_end)
    os.close(proto_fd)
    os.close(out_fd)
    os.close(watch_fd)
    child = int(os.read(read_end, 32) or 0)
    os.close(read_end)
    return {"pid": child, "group": first}


if __name__ == "__main__":
    main()
