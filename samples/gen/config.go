package main

// The two nginx configuration files seed 000 prints in full (cat of
// /usr/local/nginx/conf/nginx.conf and sites-enabled/neo on
// ip-172-31-3-170). They are configuration data, kept byte for byte so
// that the analyzer reads what the operator read; everything else under
// sites-enabled is reconstructed in sites.go.

// nginxConf is /usr/local/nginx/conf/nginx.conf.
const nginxConf = `user www-data;
worker_processes  8;

pid /var/run/tengine.pid;

worker_rlimit_nofile 16384;
events {
  worker_connections 16384;
}

http {

  include       /usr/local/nginx/conf/mime.types;
  default_type  application/octet-stream;

  log_format upstream '$time_iso8601 $remote_addr $host "$upstream_response_time" $request $status "$upstream_addr"';
  #log_format elb_combined '$http_x_forwarded_for - $remote_user [$time_local] "$request_without_token" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$upstream_response_time" $upstream_http_x_login';
  log_format elb_combined '$http_x_forwarded_for - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$upstream_response_time" $upstream_http_x_login';

  access_log /var/log/nginx/access.log elb_combined;
  access_log /var/log/nginx/upstream.log upstream;
  error_log /var/log/nginx/error.log;

  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;

  keepalive_timeout  65;

  gzip  on;
  gzip_http_version 1.0;
  gzip_comp_level 2;
  gzip_proxied any;
  gzip_vary off;
  gzip_types text/plain text/css application/x-javascript text/xml application/xml application/rss+xml application/atom+xml text/javascript application/javascript application/json text/mathml;
  gzip_min_length  1000;
  gzip_disable     "MSIE [1-6]\.";

  server_names_hash_bucket_size 64;
  types_hash_max_size 2048;
  types_hash_bucket_size 64;
  check_shm_size 20M;

  include /usr/local/nginx/conf/sites-enabled/*;
}
`

// siteNeo is /usr/local/nginx/conf/sites-enabled/neo.
const siteNeo = `upstream neo {
    # dynamic_resolve fallback=stale fail_timeout=30s;
    # prod0_n1a neo-prod-web-inner-lb
    # server internal-a49e0bc1607ba11e7b48102ab8baa063-1634739253.cn-north-1.elb.amazonaws.com.cn:80;

    server 172.1.55.22:32426;
    server 172.1.47.123:32426;
    server 172.1.56.194:32426;
    server 172.1.63.76:32426;
    server 172.1.35.188:32426;
    server 172.1.36.82:32426;
    server 172.1.36.190:32426;
    server 172.1.47.109:32426;
    server 172.1.61.250:32426;
    server 172.1.44.243:32426;
    server 172.1.58.225:32426;
    server 172.1.39.19:32426;
    server 172.1.60.188:32426;
    server 172.1.48.194:32426;
    server 172.1.54.196:32426;
    server 172.1.51.144:32426;
    server 172.1.47.102:32426;
    server 172.1.61.1:32426;
    server 172.1.38.244:32426;
    server 172.1.49.156:32426;
    server 172.1.43.161:32426;
    server 172.1.38.108:32426;
    server 172.1.48.120:32426;
    server 172.1.37.106:32426;
    server 172.1.59.231:32426;
    server 172.1.41.163:32426;
    server 172.1.36.193:32426;
    server 172.1.40.121:32426;
    server 172.1.62.98:32426;
    server 172.1.44.27:32426;
    server 172.1.51.89:32426;
    server 172.1.58.208:32426;
    server 172.1.32.128:32426;
    server 172.1.47.83:32426;
    server 172.1.60.192:32426;
    server 172.1.52.158:32426;
    server 172.1.36.132:32426;
    server 172.1.60.115:32426;
    server 172.1.58.80:32426;
    server 172.1.47.54:32426;
    server 172.1.44.214:32426;
    server 172.1.39.70:32426;
    server 172.1.44.23:32426;
    server 172.1.55.44:32426;
    server 172.1.48.77:32426;
    server 172.1.63.150:32426;
    server 172.1.54.150:32426;
    server 172.1.34.190:32426;
    server 172.1.60.104:32426;
    server 172.1.40.158:32426;
    server 172.1.52.112:32426;
    server 172.1.56.178:32426;
    server 172.1.60.161:32426;
    server 172.1.38.207:32426;
    server 172.1.50.119:32426;
    server 172.1.55.37:32426;
    server 172.1.52.147:32426;
    server 172.1.55.225:32426;
    server 172.1.56.224:32426;
    server 172.1.39.66:32426;
    server 172.1.43.33:32426;
    server 172.1.56.22:32426;
    server 172.1.47.41:32426;
    server 172.1.43.2:32426;
    server 172.1.39.4:32426;
    server 172.1.43.46:32426;
    server 172.1.57.200:32426;
    server 172.1.47.127:32426;
    server 172.1.37.196:32426;
    server 172.1.60.118:32426;
    server 172.1.43.114:32426;
    server 172.1.61.72:32426;
    server 172.1.60.187:32426;
    server 172.1.47.121:32426;
    server 172.1.48.9:32426;
    server 172.1.60.44:32426;
    server 172.1.51.145:32426;
    server 172.1.52.201:32426;
    server 172.1.32.148:32426;
    server 172.1.44.48:32426;
    check interval=30000 fall=3 rise=2 timeout=1000 default_down=false type=tcp;
}

upstream neo-cc {
    # dynamic_resolve fallback=stale fail_timeout=30s;
    # prod0_n1a neo-prod-ccapi-inner-lb
    # server internal-a87dff023241411e7b48102ab8baa063-1424689483.cn-north-1.elb.amazonaws.com.cn:80;

    server 172.1.55.22:30720;
    server 172.1.47.123:30720;
    server 172.1.56.194:30720;
    server 172.1.63.76:30720;
    server 172.1.35.188:30720;
    server 172.1.36.82:30720;
    server 172.1.36.190:30720;
    server 172.1.47.109:30720;
    server 172.1.61.250:30720;
    server 172.1.44.243:30720;
    server 172.1.58.225:30720;
    server 172.1.39.19:30720;
    server 172.1.60.188:30720;
    server 172.1.48.194:30720;
    server 172.1.54.196:30720;
    server 172.1.51.144:30720;
    server 172.1.47.102:30720;
    server 172.1.61.1:30720;
    server 172.1.38.244:30720;
    server 172.1.49.156:30720;
    server 172.1.43.161:30720;
    server 172.1.38.108:30720;
    server 172.1.48.120:30720;
    server 172.1.37.106:30720;
    server 172.1.59.231:30720;
    server 172.1.41.163:30720;
    server 172.1.36.193:30720;
    server 172.1.40.121:30720;
    server 172.1.62.98:30720;
    server 172.1.44.27:30720;
    server 172.1.51.89:30720;
    server 172.1.58.208:30720;
    server 172.1.32.128:30720;
    server 172.1.47.83:30720;
    server 172.1.60.192:30720;
    server 172.1.52.158:30720;
    server 172.1.36.132:30720;
    server 172.1.60.115:30720;
    server 172.1.58.80:30720;
    server 172.1.47.54:30720;
    server 172.1.44.214:30720;
    server 172.1.39.70:30720;
    server 172.1.44.23:30720;
    server 172.1.55.44:30720;
    server 172.1.48.77:30720;
    server 172.1.63.150:30720;
    server 172.1.54.150:30720;
    server 172.1.34.190:30720;
    server 172.1.60.104:30720;
    server 172.1.40.158:30720;
    server 172.1.52.112:30720;
    server 172.1.56.178:30720;
    server 172.1.60.161:30720;
    server 172.1.38.207:30720;
    server 172.1.50.119:30720;
    server 172.1.55.37:30720;
    server 172.1.52.147:30720;
    server 172.1.55.225:30720;
    server 172.1.56.224:30720;
    server 172.1.39.66:30720;
    server 172.1.43.33:30720;
    server 172.1.56.22:30720;
    server 172.1.47.41:30720;
    server 172.1.43.2:30720;
    server 172.1.39.4:30720;
    server 172.1.43.46:30720;
    server 172.1.57.200:30720;
    server 172.1.47.127:30720;
    server 172.1.37.196:30720;
    server 172.1.60.118:30720;
    server 172.1.43.114:30720;
    server 172.1.61.72:30720;
    server 172.1.60.187:30720;
    server 172.1.47.121:30720;
    server 172.1.48.9:30720;
    server 172.1.60.44:30720;
    server 172.1.51.145:30720;
    server 172.1.52.201:30720;
    server 172.1.32.148:30720;
    server 172.1.44.48:30720;
    check interval=30000 fall=3 rise=2 timeout=1000 default_down=false type=tcp;
}

upstream neo-extra {
    # dynamic_resolve fallback=stale fail_timeout=30s;
    # prod0_n1a neo-prod-extra-inner-lb
    # server internal-a8b47d928241711e7b48102ab8baa063-1087606731.cn-north-1.elb.amazonaws.com.cn:80;

    server 172.1.55.22:30966;
    server 172.1.47.123:30966;
    server 172.1.56.194:30966;
    server 172.1.63.76:30966;
    server 172.1.35.188:30966;
    server 172.1.36.82:30966;
    server 172.1.36.190:30966;
    server 172.1.47.109:30966;
    server 172.1.61.250:30966;
    server 172.1.44.243:30966;
    server 172.1.58.225:30966;
    server 172.1.39.19:30966;
    server 172.1.60.188:30966;
    server 172.1.48.194:30966;
    server 172.1.54.196:30966;
    server 172.1.51.144:30966;
    server 172.1.47.102:30966;
    server 172.1.61.1:30966;
    server 172.1.38.244:30966;
    server 172.1.49.156:30966;
    server 172.1.43.161:30966;
    server 172.1.38.108:30966;
    server 172.1.48.120:30966;
    server 172.1.37.106:30966;
    server 172.1.59.231:30966;
    server 172.1.41.163:30966;
    server 172.1.36.193:30966;
    server 172.1.40.121:30966;
    server 172.1.62.98:30966;
    server 172.1.44.27:30966;
    server 172.1.51.89:30966;
    server 172.1.58.208:30966;
    server 172.1.32.128:30966;
    server 172.1.47.83:30966;
    server 172.1.60.192:30966;
    server 172.1.52.158:30966;
    server 172.1.36.132:30966;
    server 172.1.60.115:30966;
    server 172.1.58.80:30966;
    server 172.1.47.54:30966;
    server 172.1.44.214:30966;
    server 172.1.39.70:30966;
    server 172.1.44.23:30966;
    server 172.1.55.44:30966;
    server 172.1.48.77:30966;
    server 172.1.63.150:30966;
    server 172.1.54.150:30966;
    server 172.1.34.190:30966;
    server 172.1.60.104:30966;
    server 172.1.40.158:30966;
    server 172.1.52.112:30966;
    server 172.1.56.178:30966;
    server 172.1.60.161:30966;
    server 172.1.38.207:30966;
    server 172.1.50.119:30966;
    server 172.1.55.37:30966;
    server 172.1.52.147:30966;
    server 172.1.55.225:30966;
    server 172.1.56.224:30966;
    server 172.1.39.66:30966;
    server 172.1.43.33:30966;
    server 172.1.56.22:30966;
    server 172.1.47.41:30966;
    server 172.1.43.2:30966;
    server 172.1.39.4:30966;
    server 172.1.43.46:30966;
    server 172.1.57.200:30966;
    server 172.1.47.127:30966;
    server 172.1.37.196:30966;
    server 172.1.60.118:30966;
    server 172.1.43.114:30966;
    server 172.1.61.72:30966;
    server 172.1.60.187:30966;
    server 172.1.47.121:30966;
    server 172.1.48.9:30966;
    server 172.1.60.44:30966;
    server 172.1.51.145:30966;
    server 172.1.52.201:30966;
    server 172.1.32.148:30966;
    server 172.1.44.48:30966;
    check interval=30000 fall=3 rise=2 timeout=1000 default_down=false type=tcp;
}

upstream neo-pay {
    # dynamic_resolve fallback=stale fail_timeout=30s;
    # prod0_n1a neo-prod-payapi-inner-lb
    # server internal-a6d51411b574011e7b48102ab8baa063-28810528.cn-north-1.elb.amazonaws.com.cn:80;

    server 172.1.55.22:30217;
    server 172.1.47.123:30217;
    server 172.1.56.194:30217;
    server 172.1.63.76:30217;
    server 172.1.35.188:30217;
    server 172.1.36.82:30217;
    server 172.1.36.190:30217;
    server 172.1.47.109:30217;
    server 172.1.61.250:30217;
    server 172.1.44.243:30217;
    server 172.1.58.225:30217;
    server 172.1.39.19:30217;
    server 172.1.60.188:30217;
    server 172.1.48.194:30217;
    server 172.1.54.196:30217;
    server 172.1.51.144:30217;
    server 172.1.47.102:30217;
    server 172.1.61.1:30217;
    server 172.1.38.244:30217;
    server 172.1.49.156:30217;
    server 172.1.43.161:30217;
    server 172.1.38.108:30217;
    server 172.1.48.120:30217;
    server 172.1.37.106:30217;
    server 172.1.59.231:30217;
    server 172.1.41.163:30217;
    server 172.1.36.193:30217;
    server 172.1.40.121:30217;
    server 172.1.62.98:30217;
    server 172.1.44.27:30217;
    server 172.1.51.89:30217;
    server 172.1.58.208:30217;
    server 172.1.32.128:30217;
    server 172.1.47.83:30217;
    server 172.1.60.192:30217;
    server 172.1.52.158:30217;
    server 172.1.36.132:30217;
    server 172.1.60.115:30217;
    server 172.1.58.80:30217;
    server 172.1.47.54:30217;
    server 172.1.44.214:30217;
    server 172.1.39.70:30217;
    server 172.1.44.23:30217;
    server 172.1.55.44:30217;
    server 172.1.48.77:30217;
    server 172.1.63.150:30217;
    server 172.1.54.150:30217;
    server 172.1.34.190:30217;
    server 172.1.60.104:30217;
    server 172.1.40.158:30217;
    server 172.1.52.112:30217;
    server 172.1.56.178:30217;
    server 172.1.60.161:30217;
    server 172.1.38.207:30217;
    server 172.1.50.119:30217;
    server 172.1.55.37:30217;
    server 172.1.52.147:30217;
    server 172.1.55.225:30217;
    server 172.1.56.224:30217;
    server 172.1.39.66:30217;
    server 172.1.43.33:30217;
    server 172.1.56.22:30217;
    server 172.1.47.41:30217;
    server 172.1.43.2:30217;
    server 172.1.39.4:30217;
    server 172.1.43.46:30217;
    server 172.1.57.200:30217;
    server 172.1.47.127:30217;
    server 172.1.37.196:30217;
    server 172.1.60.118:30217;
    server 172.1.43.114:30217;
    server 172.1.61.72:30217;
    server 172.1.60.187:30217;
    server 172.1.47.121:30217;
    server 172.1.48.9:30217;
    server 172.1.60.44:30217;
    server 172.1.51.145:30217;
    server 172.1.52.201:30217;
    server 172.1.32.148:30217;
    server 172.1.44.48:30217;
    check interval=30000 fall=3 rise=2 timeout=1000 default_down=false type=tcp;
}

upstream neo-ncc {
    dynamic_resolve fallback=stale fail_timeout=30s;
    # prod0_n1a darwin-prod-inner-lb
    server internal-a36f4c99b780e11e7b48102ab8baa063-220306410.cn-north-1.elb.amazonaws.com.cn:80;
    # check interval=10000 fall=3 rise=2 timeout=1000 default_down=false type=tcp;
}

# limit_req_zone $nginx_version zone=neo_flood_limit:10m rate=200r/s;

server {
    listen 80 default_server;

    # Alibaba Public DNS
    resolver 223.5.5.5 223.6.6.6 valid=300s;
    resolver_timeout 10s;

    client_max_body_size 5m;
    client_body_buffer_size 3m;
    keepalive_timeout 10;
    proxy_http_version 1.1;

    server_name apineo.llsapp.com;
    root /opt/nginx/static/public;

    server_tokens off;

    # limit_req zone=neo_flood_limit;

    location / {
        proxy_pass http://neo;

        proxy_set_header X-Real-IP $http_x_forwarded_for;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header Host $http_host;
        proxy_set_header X-Queue-Start "t=${msec}000";
        proxy_redirect off;

        # This actually doesn't work with an ELB behind nginx
        proxy_set_header X-Forwarded-Proto $scheme;

        proxy_connect_timeout      10s;

        proxy_buffer_size          512k;
        proxy_buffers              8 512k;
        proxy_busy_buffers_size    1m;
        proxy_temp_file_write_size 1m;

        location /api/v1/cc {
          proxy_pass http://neo-cc;
        }
        location /api/v1/pt {
          proxy_pass http://neo-cc;
        }
        location /api/v1/user_klasses {
          proxy_pass http://neo-cc;
        }
        location /api/v1/live_sessions {
          proxy_pass http://neo-cc;
        }
        location /api/v1/klasses {
          proxy_pass http://neo-cc;
        }
        location /api/v1/klass_sessions {
          proxy_pass http://neo-cc;
        }

        location /api/data {
          proxy_pass http://neo-extra;
        }
        location /api/v1/userevents {
          proxy_pass http://neo-extra;
        }
        location /api/v1/trace  {
          proxy_pass http://neo-extra;
        }
        location /api/personas/ios/exist  {
          proxy_pass http://neo-extra;
        }

        # ========= neo-pay ==============
        location /api/payment {
          proxy_pass http://neo-pay;
        }
        location /api/payway {
          proxy_pass http://neo-pay;
        }
        location /api/gift_card {
          proxy_pass http://neo-pay;
        }
        location /api/v1/cc/packages {
          proxy_pass http://neo-pay;
        }
        location /api/v1/pronco/packages {
          proxy_pass http://neo-pay;
        }
        location /api/v1/cc/learning_goals/reward {
          proxy_pass http://neo-pay;
        }
        # ======== end of neo-pay ========
        # ======== ncc ========
        location /api/v1/ncc {
          proxy_pass http://neo-ncc;
        }
        # ======== end of ncc ========
    }

    if ($request_method !~ ^(GET|HEAD|PUT|POST|DELETE|OPTIONS)$ ){
        return 405;
    }
    location ~ \.(php|cgi)$ {
        return 405;
    }
}
`
