// Package supervisor is a client of the Home Assistant Supervisor API, which an add-on
// reaches at http://supervisor with the token in its SUPERVISOR_TOKEN variable.
package supervisor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// BaseURL is the address of the Supervisor API as seen from inside an add-on.
const BaseURL = "http://supervisor"

// TokenEnv is the environment variable that holds an add-on's Supervisor API token.
const TokenEnv = "SUPERVISOR_TOKEN"

// ErrNoMQTTService means that no add-on provides an MQTT broker, so the user has to
// install one (such as Mosquitto) or set a broker URL in the options.
var ErrNoMQTTService = errors.New("no MQTT service: install the Mosquitto broker add-on " +
	"or set the mqtt option to your broker's URL")

// maxResponse is the maximum number of bytes read from one Supervisor response.
const maxResponse = 64 << 10

// MQTT is the broker that the Supervisor announces to add-ons that use the mqtt service.
type MQTT struct {
	Host     string
	Port     int
	SSL      bool
	Username string
	Password string
}

// URL returns the broker URL in the form the bridge's --mqtt flag takes: ssl://host:port
// when the broker requires TLS, tcp://host:port otherwise. It holds no credentials.
func (m MQTT) URL() string {
	scheme := "tcp"
	if m.SSL {
		scheme = "ssl"
	}
	return scheme + "://" + net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
}

// envelope is the JSON object that wraps every Supervisor response.
type envelope struct {
	Result  string          `json:"result"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

type mqttData struct {
	Host     string          `json:"host"`
	Port     json.RawMessage `json:"port"`
	SSL      bool            `json:"ssl"`
	Protocol string          `json:"protocol"`
	Username string          `json:"username"`
	Password string          `json:"password"`
}

// MQTTService fetches the MQTT broker that an add-on such as Mosquitto provides, with
// GET {baseURL}/services/mqtt. It returns ErrNoMQTTService when no add-on provides one.
// A nil client means http.DefaultClient, which has no timeout: give ctx a deadline.
// Errors never contain the token or the broker password.
func MQTTService(ctx context.Context, client *http.Client, baseURL, token string) (MQTT, error) {
	url := strings.TrimRight(baseURL, "/") + "/services/mqtt"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return MQTT{}, fmt.Errorf("supervisor mqtt service: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")

	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return MQTT{}, fmt.Errorf("supervisor mqtt service: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return MQTT{}, fmt.Errorf("supervisor mqtt service: read response: %w", err)
	}
	return parseMQTT(resp.StatusCode, body)
}

func parseMQTT(status int, body []byte) (MQTT, error) {
	var env envelope
	jsonErr := json.Unmarshal(body, &env)

	switch {
	case status == http.StatusBadRequest && jsonErr == nil && env.Result == "error":
		// The Supervisor responds 400 with result "error" when no add-on provides MQTT.
		return MQTT{}, ErrNoMQTTService
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return MQTT{}, fmt.Errorf("supervisor mqtt service: HTTP %d: the Supervisor rejected "+
			"the token in %s or the add-on does not declare the mqtt service", status, TokenEnv)
	case status != http.StatusOK:
		return MQTT{}, fmt.Errorf("supervisor mqtt service: HTTP %d%s", status, message(env))
	case jsonErr != nil:
		return MQTT{}, fmt.Errorf("supervisor mqtt service: response is not JSON: %w", jsonErr)
	case env.Result != "ok":
		return MQTT{}, fmt.Errorf("supervisor mqtt service: result %q%s", env.Result, message(env))
	}
	return decodeMQTTData(env.Data)
}

func decodeMQTTData(raw json.RawMessage) (MQTT, error) {
	var d mqttData
	if err := json.Unmarshal(raw, &d); err != nil {
		return MQTT{}, fmt.Errorf("supervisor mqtt service: invalid data: %w", err)
	}
	if d.Host == "" {
		return MQTT{}, errors.New("supervisor mqtt service: response has no host")
	}
	port, err := parsePort(d.Port)
	if err != nil {
		return MQTT{}, fmt.Errorf("supervisor mqtt service: %w", err)
	}
	return MQTT{Host: d.Host, Port: port, SSL: d.SSL, Username: d.Username,
		Password: d.Password}, nil
}

// parsePort reads a port that the Supervisor sends as a number or as a string.
func parsePort(raw json.RawMessage) (int, error) {
	if len(raw) == 0 {
		return 0, errors.New("response has no port")
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		text = string(raw)
	}
	port, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("invalid port %s: expected a number from 1 to 65535", raw)
	}
	return port, nil
}

// message formats the Supervisor's error message for an error string.
func message(env envelope) string {
	if env.Message == "" {
		return ""
	}
	return ": " + env.Message
}
