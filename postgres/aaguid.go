package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/passkeyd/passkeyd"
)

// PutAAGUIDRule implements passkeyd.AAGUIDStore.
func (db *DB) PutAAGUIDRule(ctx context.Context, r *passkeyd.AAGUIDRule) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO aaguid_rules (aaguid, list, note, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (aaguid) DO UPDATE SET list = excluded.list, note = excluded.note, updated_at = excluded.updated_at`,
			r.AAGUID[:], string(r.List), r.Note, r.UpdatedAt.UTC())
		return err
	})
}

// DeleteAAGUIDRule implements passkeyd.AAGUIDStore.
func (db *DB) DeleteAAGUIDRule(ctx context.Context, aaguid [16]byte) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM aaguid_rules WHERE aaguid = $1`, aaguid[:])
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return passkeyd.ErrNotFound
		}
		return nil
	})
}

// AAGUIDRules implements passkeyd.AAGUIDStore.
func (db *DB) AAGUIDRules(ctx context.Context) ([]*passkeyd.AAGUIDRule, error) {
	return retryRead(ctx, db, func(ctx context.Context) ([]*passkeyd.AAGUIDRule, error) {
		rows, err := db.pool.Query(ctx, `SELECT aaguid, list, note, updated_at FROM aaguid_rules ORDER BY aaguid`)
		if err != nil {
			return nil, mapErr(err)
		}
		defer rows.Close()
		out := []*passkeyd.AAGUIDRule{}
		for rows.Next() {
			var r passkeyd.AAGUIDRule
			var id []byte
			var list string
			if err := rows.Scan(&id, &list, &r.Note, &r.UpdatedAt); err != nil {
				return nil, mapErr(err)
			}
			copy(r.AAGUID[:], id)
			r.List, r.UpdatedAt = passkeyd.AAGUIDList(list), r.UpdatedAt.UTC()
			out = append(out, &r)
		}
		return out, mapErr(rows.Err())
	})
}

// PasskeysByAAGUID implements passkeyd.AAGUIDStore. User ids compare byte-wise (COLLATE
// "C", as in the index), whatever the database's locale, so that pages never overlap.
func (db *DB) PasskeysByAAGUID(ctx context.Context, aaguid [16]byte, afterUser string, limit int) ([]*passkeyd.Passkey, error) {
	return retryRead(ctx, db, func(ctx context.Context) ([]*passkeyd.Passkey, error) {
		rows, err := db.pool.Query(ctx, `SELECT `+passkeyRead+` FROM passkeys WHERE aaguid = $1 AND user_id COLLATE "C" IN (
				SELECT DISTINCT user_id COLLATE "C" FROM passkeys WHERE aaguid = $1 AND user_id COLLATE "C" > $2 ORDER BY 1 LIMIT $3)
			ORDER BY user_id COLLATE "C", id`, aaguid[:], afterUser, limit)
		if err != nil {
			return nil, mapErr(err)
		}
		defer rows.Close()
		out := []*passkeyd.Passkey{}
		for rows.Next() {
			p, err := scanPasskey(rows)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, mapErr(rows.Err())
	})
}
