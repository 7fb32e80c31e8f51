package account

import (
	"context"
	"errors"

	"github.com/passkeyd/passkeyd"
)

// Passkeys lists the user's passkeys, newest first.
func (s *Service) Passkeys(ctx context.Context, userID string) ([]*passkeyd.Passkey, error) {
	return s.store.Passkeys(ctx, userID)
}

// RenamePasskey renames one of the user's passkeys (1–64 code points after trimming).
func (s *Service) RenamePasskey(ctx context.Context, userID string, id []byte, name string) (*passkeyd.Passkey, error) {
	name, err := cleanName("name", name)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, invalid("name must be 1 to 64 characters")
	}
	p, err := s.store.RenamePasskey(ctx, userID, id, name)
	s.signIns.dropPasskey(id)
	if err == nil {
		s.audit(ctx, userID, "passkey_renamed", "passkey", id, nil)
	}
	return p, err
}

// DeletePasskey deletes one of the user's passkeys unless it is their last way in.
// It needs a recent sign-in; the sessions the passkey signed in end with it.
func (s *Service) DeletePasskey(ctx context.Context, sess *passkeyd.Session, id []byte) error {
	if err := s.requireRecent(sess); err != nil {
		return err
	}
	userID := sess.UserID
	err := s.store.DeletePasskey(ctx, userID, id)
	s.signIns.dropPasskey(id)
	if err != nil {
		if errors.Is(err, passkeyd.ErrLastCredential) {
			s.audit(ctx, userID, "passkey_delete_refused", "passkey", id, err)
		}
		return err
	}
	s.log.InfoContext(ctx, "passkey deleted", "user_id", userID)
	s.audit(ctx, userID, "passkey_deleted", "passkey", id, nil)
	return nil
}
