package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func getenvReal(k string) string { return os.Getenv(k) }

func reachable(pgURL, redisURL string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return fmt.Errorf("PostgreSQL unreachable at %s: %v", pgURL, err)
	}
	conn.Close(ctx)
	opts, err := goredis.ParseURL(redisURL)
	if err != nil {
		return err
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("Redis unreachable at %s: %v", redisURL, err)
	}
	return nil
}
