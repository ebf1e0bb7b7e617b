package devicecfg

import (
	"context"
	"encoding/json"
	"fmt"
)

// ParamMeta is the adapter's metadata of one parameter. It is often wrong for Home
// Assistant (RPM with class "speed", unit "degC", "none" for missing): check it.
type ParamMeta struct {
	Class string `json:"class"`
	Unit  string `json:"unit"`
}

// CarConfig reads the per-parameter metadata, GET /load_car_config. Entries that
// are not objects are skipped.
func (c *Client) CarConfig(ctx context.Context, host string) (map[string]ParamMeta, error) {
	var raw map[string]json.RawMessage
	if err := c.getJSON(ctx, host, "load car config", "/load_car_config", &raw); err != nil {
		return nil, fmt.Errorf("load car config from %s: %w", host, err)
	}

	meta := make(map[string]ParamMeta, len(raw))
	for name, b := range raw {
		var v struct {
			Class flexString `json:"class"`
			Unit  flexString `json:"unit"`
		}
		if json.Unmarshal(b, &v) != nil {
			continue
		}
		meta[name] = ParamMeta{Class: string(v.Class), Unit: string(v.Unit)}
	}
	return meta, nil
}

// AutoPIDData reads the current parameter values, GET /autopid_data: numbers as
// float64, and strings such as "on"/"off". It returns ErrNoData when the adapter
// has read nothing yet.
func (c *Client) AutoPIDData(ctx context.Context, host string) (map[string]any, error) {
	var values map[string]any
	err := c.getJSON(ctx, host, "read autopid data", "/autopid_data", &values)
	if err == nil {
		err = noData(values)
	}
	if err != nil {
		return nil, fmt.Errorf("read autopid data from %s: %w", host, err)
	}
	return values, nil
}

// noData recognises the adapter's {"error": "..."} response.
func noData(values map[string]any) error {
	msg, ok := values["error"].(string)
	if !ok || len(values) != 1 {
		return nil
	}
	if msg == "No data available" {
		return ErrNoData
	}
	return fmt.Errorf("adapter returned error %q", msg)
}
