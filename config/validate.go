package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

func (c *Config) validate() error {
	for name, addr := range map[string]string{"webhook-addr": c.WebhookAddr,
		"ui-addr": c.UIAddr, "embedded-mqtt-addr": c.EmbeddedMQTTAddr} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("--%s %q is not host:port: %w", name, addr, err)
		}
	}
	if c.MQTTURL != "" {
		u, err := url.Parse(c.MQTTURL)
		if err != nil || u.Host == "" {
			return fmt.Errorf("--mqtt %q is not a broker URL such as tcp://host:1883", c.MQTTURL)
		}
		switch u.Scheme {
		case "tcp", "ssl", "tls", "mqtt", "mqtts", "ws", "wss":
		default:
			return fmt.Errorf("--mqtt %q: scheme %q is not supported, use tcp:// or ssl://",
				c.MQTTURL, u.Scheme)
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--public-url %q must be an http:// URL such as http://192.168.1.20:8780",
				c.PublicURL)
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	if !isTopicSegment(c.DiscoveryPrefix) || !isTopicSegment(c.BaseTopic) {
		return fmt.Errorf("--discovery-prefix and --base-topic must be one MQTT topic level " +
			"without wildcards")
	}
	if err := c.validatePairing(); err != nil {
		return err
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level %q: use debug, info, warn or error", c.LogLevel)
	}
	return nil
}

func isTopicSegment(s string) bool {
	return s != "" && !strings.ContainsAny(s, "+#/\x00")
}

func (c *Config) validatePairing() error {
	if c.Pairing != "auto" && c.Pairing != "manual" {
		return fmt.Errorf("--pairing %q: use auto or manual", c.Pairing)
	}
	if c.Interval < time.Second || c.Interval > time.Hour || c.Interval%time.Second != 0 {
		return fmt.Errorf("--interval %v: use whole seconds from 1 to 3600", c.Interval)
	}
	if c.FailoverURL != "" {
		u, err := url.Parse(c.FailoverURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--failover-url %q must be an http:// or https:// base URL", c.FailoverURL)
		}
		c.FailoverURL = strings.TrimRight(c.FailoverURL, "/")
	}
	if (c.WebhookTLSCert == "") != (c.WebhookTLSKey == "") {
		return fmt.Errorf("--webhook-tls-cert and --webhook-tls-key go together")
	}
	if c.WebhookTLSCert != "" && c.WebhookTLSAddr == "" {
		c.WebhookTLSAddr = ":8743"
	}
	if !c.Addon && c.UIPassword == "" && !isLoopbackAddr(c.UIAddr) {
		return fmt.Errorf("--ui-addr %s is reachable from other machines: set --ui-password,"+
			" or listen on 127.0.0.1", c.UIAddr)
	}
	return nil
}

func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
