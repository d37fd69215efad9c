// The test lab: hosts as network namespaces on one machine, faults, and a private Docker engine.
export { createLab, Lab, LAB_NS_HOST, type HostRef, type LabHost, type LabOptions } from './lab.js';
export { withLab, type WithLabOptions } from './with-lab.js';
export { LabProcess, describeExit, type ProcessExit, type SpawnInHostOptions } from './host-process.js';
export { startDocker, DockerEngine, BUSYBOX_IMAGE, dockerCli, pingDocker, type StartDockerOptions } from './docker.js';
export { busyboxRootfsTarball, BUSYBOX_BIN } from './busybox.js';
export { waitUntil } from './wait.js';
