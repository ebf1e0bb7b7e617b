package supervisor

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testToken = "token-3f9a1c"

// fakeSupervisor serves GET /services/mqtt with status and body when the request carries
// testToken, and responds 401 otherwise, as the Supervisor does.
func fakeSupervisor(t *testing.T, status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/services/mqtt" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"result":"error","message":"Invalid token"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestMQTTService(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    MQTT
		wantURL string
	}{
		{
			name: "numeric port",
			body: `{"result":"ok","data":{"host":"core-mosquitto","port":1883,"ssl":false,` +
				`"protocol":"3.1.1","username":"addons","password":"s3cret"}}`,
			want: MQTT{Host: "core-mosquitto", Port: 1883, Username: "addons",
				Password: "s3cret"},
			wantURL: "tcp://core-mosquitto:1883",
		},
		{
			name: "string port",
			body: `{"result":"ok","data":{"host":"core-mosquitto","port":"1883","ssl":false,` +
				`"protocol":"3.1.1","username":"addons","password":"s3cret"}}`,
			want: MQTT{Host: "core-mosquitto", Port: 1883, Username: "addons",
				Password: "s3cret"},
			wantURL: "tcp://core-mosquitto:1883",
		},
		{
			name: "ssl",
			body: `{"result":"ok","data":{"host":"broker.lan","port":8883,"ssl":true,` +
				`"protocol":"5","username":"u","password":"p"}}`,
			want:    MQTT{Host: "broker.lan", Port: 8883, SSL: true, Username: "u", Password: "p"},
			wantURL: "ssl://broker.lan:8883",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeSupervisor(t, http.StatusOK, tt.body)
			got, err := MQTTService(context.Background(), srv.Client(), srv.URL, testToken)
			if err != nil {
				t.Fatalf("MQTTService: %v", err)
			}
			if got != tt.want {
				t.Errorf("MQTTService = %+v, want %+v", got, tt.want)
			}
			if got.URL() != tt.wantURL {
				t.Errorf("URL() = %q, want %q", got.URL(), tt.wantURL)
			}
		})
	}
}

func TestMQTTURLBracketsIPv6(t *testing.T) {
	m := MQTT{Host: "fd00::5", Port: 1883}
	if got, want := m.URL(), "tcp://[fd00::5]:1883"; got != want {
		t.Errorf("URL() = %q, want %q", got, want)
	}
}

func TestMQTTServiceNoProvider(t *testing.T) {
	srv := fakeSupervisor(t, http.StatusBadRequest,
		`{"result":"error","message":"No service provider for mqtt"}`)
	_, err := MQTTService(context.Background(), srv.Client(), srv.URL, testToken)
	if !errors.Is(err, ErrNoMQTTService) {
		t.Fatalf("err = %v, want ErrNoMQTTService", err)
	}
}

func TestMQTTServiceErrors(t *testing.T) {
	tests := []struct {
		name     string
		token    string
		status   int
		body     string
		wantText string
	}{
		{name: "wrong token", token: "other-token", status: http.StatusOK,
			body: `{"result":"ok","data":{}}`, wantText: "HTTP 401"},
		{name: "garbage", token: testToken, status: http.StatusOK,
			body: `<html>proxy error</html>`, wantText: "not JSON"},
		{name: "server error", token: testToken, status: http.StatusInternalServerError,
			body: `{"result":"error","message":"boom"}`, wantText: "HTTP 500: boom"},
		{name: "result not ok", token: testToken, status: http.StatusOK,
			body: `{"result":"error","message":"busy"}`, wantText: `result "error": busy`},
		{name: "no host", token: testToken, status: http.StatusOK,
			body: `{"result":"ok","data":{"port":1883}}`, wantText: "no host"},
		{name: "port missing", token: testToken, status: http.StatusOK,
			body: `{"result":"ok","data":{"host":"h","password":"s3cret"}}`, wantText: "no port"},
		{name: "port out of range", token: testToken, status: http.StatusOK,
			body:     `{"result":"ok","data":{"host":"h","port":70000,"password":"s3cret"}}`,
			wantText: "invalid port 70000"},
		{name: "port not a number", token: testToken, status: http.StatusOK,
			body:     `{"result":"ok","data":{"host":"h","port":"mqtt","password":"s3cret"}}`,
			wantText: "invalid port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeSupervisor(t, tt.status, tt.body)
			_, err := MQTTService(context.Background(), srv.Client(), srv.URL, tt.token)
			if err == nil {
				t.Fatal("MQTTService returned no error")
			}
			if errors.Is(err, ErrNoMQTTService) {
				t.Errorf("err = %v, must not be ErrNoMQTTService", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantText)
			}
			for _, secret := range []string{testToken, "other-token", "s3cret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("err = %q contains the secret %q", err, secret)
				}
			}
		})
	}
}

func TestMQTTServiceTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := MQTTService(ctx, srv.Client(), srv.URL, testToken)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("MQTTService returned after %v, want it to end with ctx", elapsed)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("err = %q contains the token", err)
	}
}
