package postgres

import (
	"context"

	"github.com/passkeyd/passkeyd"
)

// AdoptionStats implements passkeyd.StatsStore. Passkeys are grouped by their stored
// transports and AAGUID, and the groups (few: models × transport sets) are classified in Go
// by passkeyd's DeviceType, so SQL and Go can never disagree on a device type.
func (db *DB) AdoptionStats(ctx context.Context) (*passkeyd.AdoptionStats, error) {
	return retryRead(ctx, db, func(ctx context.Context) (*passkeyd.AdoptionStats, error) {
		st := passkeyd.NewAdoptionStats()
		if err := db.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(DISTINCT user_id) FROM passkeys)`).
			Scan(&st.Users, &st.UsersWithPasskey); err != nil {
			return nil, mapErr(err)
		}
		rows, err := db.pool.Query(ctx, `SELECT transports, aaguid, count(*) FROM passkeys GROUP BY transports, aaguid`)
		if err != nil {
			return nil, mapErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var transports []string
			var aaguid []byte
			var n int
			if err := rows.Scan(&transports, &aaguid, &n); err != nil {
				return nil, mapErr(err)
			}
			st.AddPasskeys(transports, aaguid, n)
		}
		if err := rows.Err(); err != nil {
			return nil, mapErr(err)
		}
		return st, nil
	})
}
