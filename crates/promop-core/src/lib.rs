//! Selection, validation and generation: the pure core of promop.
