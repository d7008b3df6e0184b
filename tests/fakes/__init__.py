"""Local fakes of outside services, driven by the real client libraries over real sockets."""
