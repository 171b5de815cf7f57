//! Controllers of promop (kube-rs).
