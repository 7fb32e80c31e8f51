package sqlite

import (
	"context"

	"github.com/passkeyd/passkeyd"
)

// PutAAGUIDRule implements passkeyd.AAGUIDStore.
func (db *DB) PutAAGUIDRule(ctx context.Context, r *passkeyd.AAGUIDRule) error {
	return db.tx(ctx, func(tx wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO aaguid_rules (aaguid, list, note, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (aaguid) DO UPDATE SET list = excluded.list, note = excluded.note, updated_at = excluded.updated_at`,
			r.AAGUID[:], string(r.List), r.Note, micros(r.UpdatedAt))
		return err
	})
}

// DeleteAAGUIDRule implements passkeyd.AAGUIDStore.
func (db *DB) DeleteAAGUIDRule(ctx context.Context, aaguid [16]byte) error {
	return db.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM aaguid_rules WHERE aaguid = ?`, aaguid[:])
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return passkeyd.ErrNotFound
		}
		return nil
	})
}

// AAGUIDRules implements passkeyd.AAGUIDStore.
func (db *DB) AAGUIDRules(ctx context.Context) ([]*passkeyd.AAGUIDRule, error) {
	rows, err := db.query(ctx, `SELECT aaguid, list, note, updated_at FROM aaguid_rules ORDER BY aaguid`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []*passkeyd.AAGUIDRule{}
	for rows.Next() {
		var r passkeyd.AAGUIDRule
		var id []byte
		var list string
		var at int64
		if err := rows.Scan(&id, &list, &r.Note, &at); err != nil {
			return nil, mapErr(err)
		}
		copy(r.AAGUID[:], id)
		r.List, r.UpdatedAt = passkeyd.AAGUIDList(list), fromMicros(at)
		out = append(out, &r)
	}
	return out, mapErr(rows.Err())
}

// PasskeysByAAGUID implements passkeyd.AAGUIDStore.
func (db *DB) PasskeysByAAGUID(ctx context.Context, aaguid [16]byte, afterUser string, limit int) ([]*passkeyd.Passkey, error) {
	rows, err := db.query(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE aaguid = ? AND user_id IN (
			SELECT DISTINCT user_id FROM passkeys WHERE aaguid = ? AND user_id > ? ORDER BY user_id LIMIT ?)
		ORDER BY user_id, id`, aaguid[:], aaguid[:], afterUser, limit)
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
}
