package parse

import (
	"testing"

	"github.com/cloudsage/cloudsage"
)

func TestApp(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want want
	}{
		{"logback", `2024-01-15 10:00:00.123 [http-nio-8080-exec-1] ERROR com.acme.OrderService - order 7 failed`,
			want{format: FormatApp, time: utc(2024, 1, 15, 10, 0, 0, 123e6), level: cloudsage.LevelError, service: "com.acme.OrderService", message: "order 7 failed"}},
		{"log4j", `2024-01-15 10:00:00,123 WARN  [main] org.apache.Foo: slow disk`,
			want{format: FormatApp, time: utc(2024, 1, 15, 10, 0, 0, 123e6), level: cloudsage.LevelWarn, service: "org.apache.Foo", message: "slow disk"}},
		{"python logging", `2024-01-15 10:00:00,123 - app.db - ERROR - connection lost`,
			want{format: FormatApp, time: utc(2024, 1, 15, 10, 0, 0, 123e6), level: cloudsage.LevelError, service: "app.db", message: "connection lost"}},
		{"go log with file", `2024/01/15 10:00:00 main.go:42: listening on :8080`,
			want{format: FormatApp, time: utc(2024, 1, 15, 10, 0, 0, 0), service: "main.go:42", message: "listening on :8080"}},
		{"go log plain", `2024/01/15 10:00:00 server started`,
			want{format: FormatApp, time: utc(2024, 1, 15, 10, 0, 0, 0), message: "server started"}},
		{"rails", `E, [2024-01-15T10:00:00.123456 #1234] ERROR -- : Completed 500 Internal Server Error in 45ms`,
			want{format: FormatApp, time: utc(2024, 1, 15, 10, 0, 0, 123456000), level: cloudsage.LevelError, message: "Completed 500 Internal Server Error in 45ms",
				signals: cloudsage.Signals{Status: 500, LatencyMS: 45, HasLatency: true}}},
		{"glog", `E0115 10:00:00.123456   12345 controller.go:123] sync failed`,
			want{format: FormatApp, time: utc(1970, 1, 15, 10, 0, 0, 123456000), level: cloudsage.LevelError, service: "controller.go:123", message: "sync failed"}},
		{"nginx error", `2024/01/15 10:00:00 [error] 1234#1234: *5 connect() failed (111: Connection refused)`,
			want{format: FormatApp, time: utc(2024, 1, 15, 10, 0, 0, 0), level: cloudsage.LevelError, message: "*5 connect() failed (111: Connection refused)"}},
		{"postgres", `2024-01-15 10:00:00.123 UTC [42] LOG:  checkpoint starting: time`,
			want{format: FormatApp, time: utc(2024, 1, 15, 10, 0, 0, 123e6), level: cloudsage.LevelInfo, message: "checkpoint starting: time"}},
		{"laravel", `[2024-01-15 10:00:00] production.ERROR: Undefined index`,
			want{format: FormatApp, time: utc(2024, 1, 15, 10, 0, 0, 0), level: cloudsage.LevelError, service: "production", message: "Undefined index"}},
		{"hdfs", `081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating`,
			want{format: FormatApp, time: utc(2008, 11, 9, 20, 36, 15, 0), level: cloudsage.LevelInfo, service: "dfs.DataNode$PacketResponder", message: "PacketResponder 1 terminating"}},
		{"android", `03-17 16:13:38.811  1702  2395 W WindowManager: slow`,
			want{format: FormatApp, time: utc(1970, 3, 17, 16, 13, 38, 811e6), level: cloudsage.LevelWarn, service: "WindowManager", message: "slow"}},
		{"openstack", `nova-api.log.1 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-1 - - -] 10.1.1.1 "GET /v2 HTTP/1.1" status: 500 len: 1893 time: 0.2477829`,
			want{format: FormatApp, time: utc(2017, 5, 16, 0, 0, 0, 8e6), level: cloudsage.LevelInfo, service: "nova.osapi_compute.wsgi.server",
				message: `10.1.1.1 "GET /v2 HTTP/1.1" status: 500 len: 1893 time: 0.2477829`,
				signals: cloudsage.Signals{Status: 500, LatencyMS: 247.7829, HasLatency: true}}},
		{"apache error", `[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] Directory index forbidden`,
			want{format: FormatApp, time: utc(2005, 12, 4, 4, 47, 44, 0), level: cloudsage.LevelError, message: "[client 1.2.3.4] Directory index forbidden"}},
		{"spring boot", `2026-04-14 15:35:12.123 ERROR 4242 --- [nio-8080-exec-1] o.h.engine.jdbc.spi.SqlExceptionHelper   : HikariPool-1 - Connection is not available`,
			want{format: FormatApp, time: utc(2026, 4, 14, 15, 35, 12, 123e6), level: cloudsage.LevelError, service: "o.h.engine.jdbc.spi.SqlExceptionHelper", message: "HikariPool-1 - Connection is not available"}},
		{"spring boot padded level", `2026-04-14 15:35:12.123  INFO 4242 --- [           main] c.e.orders.OrdersApplication             : Started OrdersApplication in 4.2 seconds`,
			want{format: FormatApp, time: utc(2026, 4, 14, 15, 35, 12, 123e6), level: cloudsage.LevelInfo, service: "c.e.orders.OrdersApplication", message: "Started OrdersApplication in 4.2 seconds"}},
		{"spring boot 3 with app name", `2024-01-15T10:00:00.123Z  WARN 4242 --- [orders] [nio-8080-exec-2] c.e.orders.web.RequestLogger : slow request`,
			want{format: FormatApp, time: utc(2024, 1, 15, 10, 0, 0, 123e6), level: cloudsage.LevelWarn, service: "c.e.orders.web.RequestLogger", message: "slow request"}},
		{"lowercase word is not a level", `2024-01-15T10:00:00Z error connecting to db`,
			want{format: FormatApp, time: utc(2024, 1, 15, 10, 0, 0, 0), level: cloudsage.LevelError, message: "error connecting to db"}},
		{"prose with a date inside is plain", `user logged in at 2024-01-15 10:00:00`,
			want{format: FormatPlain, guessed: true, message: "user logged in at 2024-01-15 10:00:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, tt.in, one(t, tt.in), tt.want)
		})
	}
}
