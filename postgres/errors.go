package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/passkeyd/passkeyd"
)

// mapErr turns driver errors into the store contract's sentinels. Anything that means the
// database could not be reached or cannot serve right now is ErrUnavailable, which the HTTP
// layer answers with 503 and Retry-After: a failover, a restart, a partition or a full disk
// must look to clients like "retry shortly", never like a 500 bug.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var perr *passkeyd.Error
	if errors.As(err, &perr) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return passkeyd.ErrNotFound
	}
	if connectionFailure(err) {
		return unavailable(err)
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505": // unique_violation
			switch pg.ConstraintName {
			case "users_username_key_unique":
				return passkeyd.ErrUsernameTaken
			case "passkeys_pkey", "oidc_clients_pkey", "oidc_grants_pkey", "oidc_refresh_tokens_pkey":
				return passkeyd.ErrCredentialExists
			}
		case "23503": // foreign_key_violation
			return passkeyd.ErrNotFound
		}
		if unavailableCode(pg.Code) {
			return unavailable(err)
		}
	}
	return err
}

func unavailable(err error) error {
	detail := "the database is unavailable"
	if timedOut(err) {
		detail = "the database did not answer in time"
	}
	return &passkeyd.Error{Code: passkeyd.CodeUnavailable, Detail: detail, Err: err}
}

// unavailableCode reports whether a server error code (PostgreSQL Appendix A) means the
// server cannot serve now rather than that the request is wrong.
func unavailableCode(code string) bool {
	switch code {
	case "57P01", // admin_shutdown: a fast shutdown, Patroni demoting or restarting the primary
		"57P02", // crash_shutdown: another backend crashed
		"57P03", // cannot_connect_now: starting up, shutting down, in recovery
		"57P05", // idle_session_timeout
		"57014", // query_canceled: statement_timeout fired
		"55P03", // lock_not_available: lock_timeout fired
		"25006", // read_only_sql_transaction: this node was demoted to a standby
		"40001", // serialization_failure
		"40P01": // deadlock_detected
		return true
	}
	// 08: connection exception; 53: insufficient resources (too many connections, disk full,
	// out of memory); 58: system error (I/O).
	return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "53") || strings.HasPrefix(code, "58")
}

// connectionFailure reports whether err is a failure of the connection rather than an
// answer of the server: refused, reset, closed mid-query (EOF), timed out, a pool already
// closed, or a connect that failed for any reason (pgconn.ConnectError also wraps the
// server's refusals at startup, such as 57P03 while a standby is being promoted).
func connectionFailure(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce),
		errors.As(err, &ne), // *net.OpError: dial, read and write failures, DNS
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ETIMEDOUT),
		errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, puddle.ErrClosedPool),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, context.Canceled),
		pgconn.Timeout(err),
		pgconn.SafeToRetry(err):
		return true
	}
	return false
}

// timedOut reports whether err means the database did not answer within a bound (the
// request's deadline, statement_timeout, a dial or read timeout). Such a read is not
// retried: a stalled database would only hold the caller until its deadline.
func timedOut(err error) bool {
	var ne net.Error
	var pg *pgconn.PgError
	return errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) ||
		(errors.As(err, &ne) && ne.Timeout()) || errors.Is(err, syscall.ETIMEDOUT) ||
		(errors.As(err, &pg) && (pg.Code == "57014" || pg.Code == "55P03"))
}
