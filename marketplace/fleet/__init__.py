"""The fleet of scan stations: enrolment, health, provisioning runs, rollouts."""
