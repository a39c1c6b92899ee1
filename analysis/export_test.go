package analysis

import "github.com/netsnap/netsnap/snapshot"

// StreamedTables reports how many socket tables parsed while s was read the
// analysis used, and how many it left (parsed again from the snapshot).
func StreamedTables(s *snapshot.Snapshot) (taken, left int) {
	ts, ok := s.Prepared.(*tableStream)
	if !ok {
		return 0, 0
	}
	return ts.taken, len(ts.results)
}
