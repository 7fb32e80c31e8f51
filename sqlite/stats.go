package sqlite

import (
	"context"
	"strings"

	"github.com/passkeyd/passkeyd"
)

// AdoptionStats implements passkeyd.StatsStore. Passkeys are grouped by their stored
// transports and AAGUID, and the groups (few: models × transport sets) are classified in Go
// by passkeyd's DeviceType, so SQL and Go can never disagree on a device type.
func (db *DB) AdoptionStats(ctx context.Context) (*passkeyd.AdoptionStats, error) {
	st := passkeyd.NewAdoptionStats()
	if err := db.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(DISTINCT user_id) FROM passkeys)`).
		Scan(&st.Users, &st.UsersWithPasskey); err != nil {
		return nil, mapErr(err)
	}
	rows, err := db.query(ctx, `SELECT transports, aaguid, COUNT(*) FROM passkeys GROUP BY transports, aaguid`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var transports string
		var aaguid []byte
		var n int
		if err := rows.Scan(&transports, &aaguid, &n); err != nil {
			return nil, mapErr(err)
		}
		var ts []string
		if transports != "" {
			ts = strings.Split(transports, ",")
		}
		st.AddPasskeys(ts, aaguid, n)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	return st, nil
}
