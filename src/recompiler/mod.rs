//! The tables both emitters share (type table, globals, struct/union fields, enums,
//! typenames), built from the model in the order `_cffi_backend` expects.
