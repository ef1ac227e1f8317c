"""The operations of the fault matrix: for each of the six services, one AWS operation of each
step (Create, Update, Delete; STS at Configure), named as harness/fault_proxy.py matches it, with
the throttling error that service answers. Shared by the HTTP matrix (test_matrix.py) and the
TCP-level faults (test_tcp_faults.py)."""

# (service, step, operation as the proxy matches it, the throttling error that service answers)
OPS = [
    ("kms", "create", "CreateKey", (400, "ThrottlingException")),
    ("logs", "create", "CreateLogGroup", (400, "ThrottlingException")),
    ("iam", "create", "CreateRole", (400, "Throttling")),
    ("lambda", "create", "POST /2015-03-31/functions", (429, "TooManyRequestsException")),
    ("apigateway", "create", "POST /restapis", (429, "TooManyRequestsException")),
    ("sts", "create", "GetCallerIdentity", (400, "Throttling")),
    ("kms", "update", "TagResource", (400, "ThrottlingException")),
    ("logs", "update", "PutRetentionPolicy", (400, "ThrottlingException")),
    ("iam", "update", "TagRole", (400, "Throttling")),
    ("lambda", "update", r"PUT /2015-03-31/functions/[^/]+/configuration",
     (429, "TooManyRequestsException")),
    ("apigateway", "update", r"POST /restapis/[^/]+/stages", (429, "TooManyRequestsException")),
    ("kms", "delete", "ScheduleKeyDeletion", (400, "ThrottlingException")),
    ("logs", "delete", "DeleteLogGroup", (400, "ThrottlingException")),
    ("iam", "delete", "DeleteRole", (400, "Throttling")),
    ("lambda", "delete", r"DELETE /2015-03-31/functions/[^/]+", (429, "TooManyRequestsException")),
    ("apigateway", "delete", r"DELETE /restapis/[^/]+", (429, "TooManyRequestsException")),
]
