"""Third-party code kept in the code asset, each file under its own licence (see its header).

Only what no package ships on its own: `otlp_udp_exporter` exists only inside
`aws-opentelemetry-distro`, whose some 60 pinned packages the functions do not need.
"""
