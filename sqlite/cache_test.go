package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"
)

// TestPageCacheSizes: the writer keeps SQLite's default page cache, the readers and the
// checkpointer the small ones their work needs (see readerCacheKiB).
func TestPageCacheSizes(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		name string
		conn *sql.DB
		want int
	}{{"writer", db.w, -2000}, {"reader", db.r, -readerCacheKiB}, {"checkpointer", db.cp, -checkpointerCacheKiB}} {
		var v string
		if err := c.conn.QueryRow("PRAGMA cache_size").Scan(&v); err != nil || v != strconv.Itoa(c.want) {
			t.Errorf("%s cache_size = %q, %v; want %d", c.name, v, err, c.want)
		}
	}
}
