"""Pure logic: geometry, cameras, plates, statistics. No Qt, no SQL, no I/O."""
