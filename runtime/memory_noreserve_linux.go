package runtime

import "syscall"

// mapNoReserve keeps a reservation from counting against overcommit limits.
const mapNoReserve = syscall.MAP_NORESERVE
