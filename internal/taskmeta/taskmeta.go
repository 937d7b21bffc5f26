// Package taskmeta serves what a running ECS task asks of its host: the credentials of
// its task role, in the shape of the container credentials endpoint that unmodified AWS
// SDKs read (AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN),
// and the task metadata endpoint version 4 (ECS_CONTAINER_METADATA_URI_V4).
//
// Each task gets one random token, kept durably in the store so that a task adopted
// after a restart keeps working; the token alone identifies the task, so a task can
// only ever obtain its own role's credentials and its own metadata. A stopped task's
// token is revoked.
package taskmeta

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/ecs"
	"github.com/wharf-dev/wharf/internal/store"
)

// Buckets of the store this package owns.
const (
	// BucketTokens maps a token to its tokenRecord.
	BucketTokens = "taskmeta.tokens"
	// BucketTasks maps a task ARN to its token.
	BucketTasks = "taskmeta.tasks"
)

// SessionDuration is how long the credentials issued for a task role last.
const SessionDuration = 6 * time.Hour

// refreshBefore is how long before their expiry cached credentials are replaced.
const refreshBefore = 30 * time.Minute

// Credentials are temporary AWS credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// RoleCredentials issues temporary credentials for a role (the app passes
// sts.Service.CredentialsFor).
type RoleCredentials func(ctx context.Context, roleArn, sessionName string, d time.Duration) (Credentials, error)

// TaskInfo returns what the metadata endpoint shows of a task (the app adapts ecs).
type TaskInfo func(ctx context.Context, taskArn string) (task ecs.Task, def ecs.TaskDefinition, err error)

// Config configures a Server.
type Config struct {
	// Credentials issues the task role credentials; without it the credentials
	// endpoint answers 500.
	Credentials RoleCredentials
	// Tasks describes tasks for the metadata endpoint; without it that endpoint
	// answers 500.
	Tasks TaskInfo
	// Logger receives the server's logs; slog.Default() when nil.
	Logger *slog.Logger
	// Now is the clock that decides when cached credentials are refreshed; time.Now
	// when nil.
	Now func() time.Time
}

// Server issues task tokens and serves the credentials and metadata endpoints.
type Server struct {
	db  *store.DB
	cfg Config
	log *slog.Logger

	issueMu sync.Mutex // serializes Issue, so that one task never gets two tokens

	mu    sync.Mutex
	cache map[string]*cachedCreds // by task ARN
}

// tokenRecord is what the store keeps of a token.
type tokenRecord struct {
	TaskArn  string    `json:"taskArn"`
	RoleArn  string    `json:"roleArn,omitempty"`
	Cluster  string    `json:"cluster,omitempty"`
	IssuedAt time.Time `json:"issuedAt"`
}

// cachedCreds holds the credentials last issued for a task; mu serializes their refresh.
type cachedCreds struct {
	mu      sync.Mutex
	roleArn string
	creds   Credentials
}

// New returns a server keeping its tokens in db.
func New(db *store.DB, cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{db: db, cfg: cfg, log: cfg.Logger.With("component", "taskmeta"), cache: map[string]*cachedCreds{}}
}

// Issue returns the token of a task, making one on first call. Later calls for the
// same task return the same token (across restarts too); roleArn, which may be empty
// for a task without a task role, replaces the one recorded.
func (s *Server) Issue(ctx context.Context, taskArn, roleArn string) (string, error) {
	if taskArn == "" {
		return "", errors.New("taskmeta: issue: empty task ARN")
	}
	s.issueMu.Lock()
	defer s.issueMu.Unlock()
	var token string
	err := s.db.Update(func(tx *store.Tx) error {
		var rec tokenRecord
		err := tx.Get(BucketTasks, taskArn, &token)
		switch {
		case err == nil:
			if err := tx.Get(BucketTokens, token, &rec); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if rec.TaskArn == taskArn && rec.RoleArn == roleArn {
				return nil
			}
		case errors.Is(err, store.ErrNotFound):
			token, err = newToken()
			if err != nil {
				return err
			}
			if err := tx.Put(BucketTasks, taskArn, token); err != nil {
				return err
			}
			rec.IssuedAt = s.cfg.Now().UTC()
		default:
			return err
		}
		rec.TaskArn, rec.RoleArn, rec.Cluster = taskArn, roleArn, clusterOf(taskArn)
		if rec.IssuedAt.IsZero() {
			rec.IssuedAt = s.cfg.Now().UTC()
		}
		return tx.Put(BucketTokens, token, rec)
	})
	if err != nil {
		return "", fmt.Errorf("taskmeta: issue token for %s: %w", taskArn, err)
	}
	return token, nil
}

// Revoke forgets the token of a task and its cached credentials; revoking a task that
// has no token is not an error.
func (s *Server) Revoke(ctx context.Context, taskArn string) error {
	s.issueMu.Lock()
	defer s.issueMu.Unlock()
	err := s.db.Update(func(tx *store.Tx) error {
		var token string
		if err := tx.Get(BucketTasks, taskArn, &token); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		if err := tx.Delete(BucketTokens, token); err != nil {
			return err
		}
		return tx.Delete(BucketTasks, taskArn)
	})
	if err != nil {
		return fmt.Errorf("taskmeta: revoke token of %s: %w", taskArn, err)
	}
	s.mu.Lock()
	delete(s.cache, taskArn)
	s.mu.Unlock()
	return nil
}

// ErrTaskNotFound is what a TaskInfo returns for a task ECS does not know.
var ErrTaskNotFound = errors.New("taskmeta: task not found")

// Sweep revokes the tokens of tasks that have stopped or are gone: the agent revokes a
// task's token when it sees the task stop, but a task that stopped while Wharf was
// down, or whose record was deleted, would keep its token otherwise. It returns how
// many it revoked. Tasks whose state cannot be read keep their tokens.
func (s *Server) Sweep(ctx context.Context) (int, error) {
	if s.cfg.Tasks == nil {
		return 0, nil
	}
	var arns []string
	err := s.db.View(func(tx *store.Tx) error {
		return tx.Scan(BucketTasks, "", func(arn string, _ []byte) error {
			arns = append(arns, arn)
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("taskmeta: sweep: %w", err)
	}
	n := 0
	for _, arn := range arns {
		task, _, err := s.cfg.Tasks(ctx, arn)
		switch {
		case errors.Is(err, ErrTaskNotFound), err == nil && task.LastStatus == "STOPPED":
			if err := s.Revoke(ctx, arn); err != nil {
				return n, err
			}
			n++
		case err != nil && ctx.Err() != nil:
			return n, ctx.Err()
		}
	}
	return n, nil
}

// Run sweeps stale tokens at start and then every interval until ctx ends.
func (s *Server) Run(ctx context.Context, interval time.Duration) error {
	for {
		if n, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("sweeping task tokens", "err", err)
		} else if n > 0 {
			s.log.Info("revoked the tokens of stopped tasks", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// lookup returns the record of a token; ok is false for an unknown token.
func (s *Server) lookup(token string) (rec tokenRecord, ok bool, err error) {
	if token == "" {
		return rec, false, nil
	}
	err = s.db.View(func(tx *store.Tx) error { return tx.Get(BucketTokens, token, &rec) })
	if errors.Is(err, store.ErrNotFound) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	return rec, true, nil
}

// credentialsFor returns the cached credentials of a task's role, issuing new ones when
// there are none, the role changed, or they expire within refreshBefore.
func (s *Server) credentialsFor(ctx context.Context, rec tokenRecord) (Credentials, error) {
	if s.cfg.Credentials == nil {
		return Credentials{}, errors.New("no credential issuer is configured")
	}
	s.mu.Lock()
	c := s.cache[rec.TaskArn]
	if c == nil {
		c = &cachedCreds{}
		s.cache[rec.TaskArn] = c
	}
	s.mu.Unlock()

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.roleArn == rec.RoleArn && c.creds.AccessKeyID != "" && s.cfg.Now().Add(refreshBefore).Before(c.creds.Expiration) {
		return c.creds, nil
	}
	creds, err := s.cfg.Credentials(ctx, rec.RoleArn, taskID(rec.TaskArn), SessionDuration)
	if err != nil {
		return Credentials{}, err
	}
	c.roleArn, c.creds = rec.RoleArn, creds
	return creds, nil
}

// newToken returns 32 random bytes in hex.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// taskID is the last path element of a task ARN.
func taskID(taskArn string) string {
	if i := strings.LastIndexByte(taskArn, '/'); i >= 0 {
		return taskArn[i+1:]
	}
	return taskArn
}

// clusterOf is the cluster name of a task ARN "arn:...:task/<cluster>/<id>" ("" for
// the old format without one).
func clusterOf(taskArn string) string {
	_, rest, ok := strings.Cut(taskArn, ":task/")
	if !ok {
		return ""
	}
	cluster, _, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return cluster
}

// Handler serves the endpoints under /_wharf/task/ (the paths also work with that
// prefix stripped):
//
//	GET /_wharf/task/credentials                            the task role's credentials (Authorization: <token>)
//	GET /_wharf/task/metadata/<token>/<container>           container metadata v4
//	GET /_wharf/task/metadata/<token>/<container>/task      task metadata v4
//	GET /_wharf/task/metadata/<token>/<container>/stats     404: Wharf keeps no Docker stats
//	GET /_wharf/task/metadata/<token>/<container>/task/stats 404, likewise
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

// PathPrefix is where the app mounts Handler.
const PathPrefix = "/_wharf/task/"

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(PathPrefix, "/"))
	path = strings.TrimPrefix(path, "/")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "only GET is supported")
		return
	}
	switch {
	case path == "credentials":
		s.serveCredentials(w, r)
	case strings.HasPrefix(path, "metadata/"):
		s.serveMetadata(w, r, strings.TrimPrefix(path, "metadata/"))
	default:
		writeError(w, http.StatusNotFound, "NotFound", "no such task endpoint: "+r.URL.Path)
	}
}

// credentialsResponse is the container credentials endpoint's JSON.
type credentialsResponse struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
	RoleArn         string `json:"RoleArn"`
}

func (s *Server) serveCredentials(w http.ResponseWriter, r *http.Request) {
	token := r.Header.Get("Authorization")
	if token == "" {
		writeError(w, http.StatusUnauthorized, "MissingAuthorization", "the Authorization header must carry the task's AWS_CONTAINER_AUTHORIZATION_TOKEN")
		return
	}
	rec, ok, err := s.lookup(token)
	if err != nil {
		s.log.Error("reading task token", "err", err)
		writeError(w, http.StatusInternalServerError, "InternalError", "cannot read task tokens")
		return
	}
	if !ok {
		writeError(w, http.StatusForbidden, "InvalidToken", "the authorization token is not that of a running task")
		return
	}
	if rec.RoleArn == "" {
		writeError(w, http.StatusNotFound, "NoTaskRole", "task "+rec.TaskArn+" has no task role (taskRoleArn)")
		return
	}
	creds, err := s.credentialsFor(r.Context(), rec)
	if err != nil {
		s.log.Warn("issuing task role credentials", "task_arn", rec.TaskArn, "role_arn", rec.RoleArn, "err", err)
		writeError(w, http.StatusInternalServerError, "CredentialsUnavailable", fmt.Sprintf("cannot issue credentials for role %s: %v", rec.RoleArn, err))
		return
	}
	writeJSON(w, http.StatusOK, credentialsResponse{
		AccessKeyID:     creds.AccessKeyID,
		SecretAccessKey: creds.SecretAccessKey,
		Token:           creds.SessionToken,
		Expiration:      creds.Expiration.UTC().Format(time.RFC3339),
		RoleArn:         rec.RoleArn,
	})
}
