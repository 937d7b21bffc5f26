#!/usr/bin/env bash
# Prints the ECS task definition (family productapi) for one runtime:
#
#   examples/taskdef.sh process  image process:<absolute path of examples/bin/productapi>
#   examples/taskdef.sh docker   image wharf-example/productapi:latest
#
# Register it with:
#   aws ecs register-task-definition --cli-input-json "$(examples/taskdef.sh process)"
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"

case "${1:-}" in
process)
	bin="$here/bin/productapi"
	image="process:$bin"
	check="$bin"
	;;
docker)
	image="wharf-example/productapi:latest"
	check="/productapi"
	;;
*)
	echo "usage: $0 process|docker" >&2
	exit 2
	;;
esac

# JSON-escape a string: backslashes and double quotes (paths hold nothing else special).
json_escape() {
	local s="${1//\\/\\\\}"
	printf '%s' "${s//\"/\\\"}"
}

cat <<JSON
{
  "family": "productapi",
  "networkMode": "bridge",
  "containerDefinitions": [
    {
      "name": "productapi",
      "image": "$(json_escape "$image")",
      "cpu": 128,
      "memory": 64,
      "essential": true,
      "portMappings": [
        {
          "containerPort": 8080,
          "hostPort": 0,
          "protocol": "tcp"
        }
      ],
      "environment": [
        {
          "name": "APP_NAME",
          "value": "productapi"
        }
      ],
      "logConfiguration": {
        "logDriver": "awslogs",
        "options": {
          "awslogs-group": "/ecs/productapi",
          "awslogs-stream-prefix": "api",
          "awslogs-create-group": "true",
          "awslogs-region": "us-east-1"
        }
      },
      "healthCheck": {
        "command": ["CMD", "$(json_escape "$check")", "-healthcheck"],
        "interval": 5,
        "timeout": 2,
        "retries": 3,
        "startPeriod": 2
      }
    }
  ]
}
JSON
