package account

import "context"

// lockReserve, lockSucceed and lockRelease are the reserve-before-evaluate calls of the
// lockout. Until the lockout store counts atomically they map onto check-then-count.
func (s *Service) lockReserve(ctx context.Context, key string) error {
	if err := s.lockCheck(ctx, key); err != nil {
		return err
	}
	s.lockFail(ctx, key)
	return nil
}

func (s *Service) lockSucceed(ctx context.Context, key string) { s.lockClear(ctx, key) }

func (s *Service) lockRelease(ctx context.Context, key string) {}
