/**
 * The task supervisor (perl: on every Debian-like host, starts in ~3 ms, and is not a Node process per task).
 * Kept as text here so the build needs no copy step; the executor installs it under its data dir.
 */
export const SUPERVISOR_SCRIPT = String.raw`# Shoal task supervisor: one per task, started detached by the process executor; it outlives the daemon.
# It reads the launch plan on stdin (one instruction a line: a word, then hex-encoded arguments), runs the
# plan's "ip -batch" commands (the task's network: forked from here, as a fork of this small process is
# far cheaper than a spawn from the daemon), starts the command as PID 1 of a new PID namespace inside
# the task's network, mount and UTS namespaces, writes each line of its stdout and stderr with a
# timestamp to the task's log, and records the exit code.
# It answers on stdout with one line: "ok <pid>", or "error network|start <message>".
# Core perl only, no modules: each module costs milliseconds at start, and starting fast is the point.
use strict;

my %NR = (
  x64   => { mount => 165, umount2 => 166, pivot_root => 155, unshare => 272, setns => 308, sethostname => 170,
             mknodat => 259, clock_gettime => 228, setgroups => 116, setresgid => 119, setresuid => 117, exit_group => 231 },
  arm64 => { mount => 40, umount2 => 39, pivot_root => 41, unshare => 97, setns => 268, sethostname => 161,
             mknodat => 33, clock_gettime => 113, setgroups => 159, setresgid => 149, setresuid => 147, exit_group => 94 },
);
my ($CLONE_NEWNS, $CLONE_NEWUTS, $CLONE_NEWPID, $CLONE_NEWNET) = (0x20000, 0x4000000, 0x20000000, 0x40000000);
my ($MS_REC, $MS_PRIVATE, $MNT_DETACH, $AT_FDCWD) = (0x4000, 0x40000, 2, -100);
my $LINE_MAX = 16384;

my (%set, @ip, @ops, @env, @argv);
while (my $line = <STDIN>) {
  chomp $line;
  my ($word, @args) = split / /, $line, -1;
  @args = map { pack 'H*', $_ } @args;
  if ($word eq 'env') { push @env, $args[0] }
  elsif ($word eq 'arg') { push @argv, $args[0] }
  elsif ($word eq 'ip') { push @ip, \@args }
  elsif ($word eq 'op') { push @ops, \@args }
  else { $set{$word} = \@args }
}
open(STDIN, '<', '/dev/null');    # keeps fd 0 taken, so no pipe below lands on it
my $nr = $NR{ $set{arch}[0] } or die "supervisor: no system call table for $set{arch}[0]\n";
sub sys { my $name = shift; syscall($nr->{$name}, map { my $v = $_; $v } @_) != -1 }    # copies: syscall writes through string arguments
sub errtext { my $e = "$!"; lcfirst $e }

$| = 1;
for (@ip) {
  my ($batch, @args) = @$_;
  my $err = run_ip($batch, @args);
  if (defined $err) { $err =~ s/\n+$//; $err =~ s/\n/; /g; print "error network $err\n"; exit 0 }
}

open(my $log, '>>', $set{log}[0]) or die "supervisor: open $set{log}[0]: $!\n";
pipe(my $out_r, my $out_w) or die "supervisor: pipe: $!\n";
pipe(my $err_r, my $err_w) or die "supervisor: pipe: $!\n";
pipe(my $status_r, my $status_w) or die "supervisor: pipe: $!\n";    # close-on-exec: EOF means exec worked
sys('unshare', $CLONE_NEWPID) or die "supervisor: unshare pid namespace: $!\n";
my $pid = fork();
die "supervisor: fork: $!\n" unless defined $pid;
child() if $pid == 0;

close $out_w; close $err_w; close $status_w;
$SIG{$_} = 'IGNORE' for qw(HUP INT QUIT TERM PIPE USR1 USR2);
my $error = '';
while (sysread($status_r, my $chunk, 4096)) { $error .= $chunk }
write_file($set{pidfile}[0], sprintf('{"supervisorPid":%d,"supervisorStart":%s,"pid":%d,"pidStart":%s}',
  $$, start_time($$), $pid, start_time($pid)));
if ($error ne '') {
  waitpid($pid, 0);
  my $code = $? >> 8;
  write_file($set{exitfile}[0], sprintf('{"exitCode":%d,"finishedAt":"%s","error":%s}', $code, now(), json_str($error)));
  print "error start $error\n";
  exit 0;
}
print "ok $pid\n";
open(STDOUT, '>', '/dev/null');
pump_logs();
waitpid($pid, 0);
my $signal = $? & 127;
write_file($set{exitfile}[0], sprintf('{"exitCode":%d,"signal":%d,"finishedAt":"%s"}',
  $signal ? 128 + $signal : $? >> 8, $signal, now()));
exit 0;

# PID 1 of the task: enter its namespaces, build its view of the filesystem, become its user, exec.
sub child {
  close $out_r; close $err_r; close $status_r;
  open(STDOUT, '>&', $out_w);
  open(STDERR, '>&', $err_w);
  umask 0;
  open(my $ns, '<', $set{netns}[0]) or fail("open network namespace $set{netns}[0]: " . errtext(), 1);
  sys('setns', fileno($ns), $CLONE_NEWNET) or fail("enter network namespace $set{netns}[0]: " . errtext(), 1);
  close $ns;
  sys('unshare', $CLONE_NEWNS | $CLONE_NEWUTS) or fail('unshare mount and uts namespaces: ' . errtext(), 1);
  sys('mount', 'none', '/', 'none', $MS_REC | $MS_PRIVATE, '') or fail('make / private: ' . errtext(), 1);
  my $host = $set{hostname}[0];
  sys('sethostname', $host, length $host) or fail("set hostname $host: " . errtext(), 1);
  run_op(@$_) for @ops;
  my ($uid, $gid, @groups) = map { 0 + $_ } @{ $set{user} };
  (@groups ? sys('setgroups', scalar @groups, pack('L*', @groups)) : sys('setgroups', 0, 0))
    or fail('setgroups: ' . errtext(), 1);
  sys('setresgid', $gid, $gid, $gid) or fail("setgid $gid: " . errtext(), 1);
  sys('setresuid', $uid, $uid, $uid) or fail("setuid $uid: " . errtext(), 1);
  umask 022;
  my $cwd = $set{cwd}[0];
  chdir $cwd or fail("chdir to cwd (\"$cwd\") set in the task failed: " . errtext(), 1);
  %ENV = ();
  for (@env) { my ($k, $v) = split /=/, $_, 2; $ENV{$k} = $v // '' }
  my $cmd = $argv[0];
  my $path = $cmd;
  if (index($cmd, '/') < 0) {
    ($path) = grep { -f $_ && -x _ } map { ($_ eq '' ? '.' : $_) . "/$cmd" } split /:/, ($ENV{PATH} // '');
    fail("exec: \"$cmd\": executable file not found in \$PATH", 127) unless defined $path;
  } elsif (!-e $cmd) {
    fail("exec: \"$cmd\": stat $cmd: " . errtext(), 127);
  }
  exec { $path } @argv;
  fail("exec: \"$cmd\": " . errtext(), $! + 0 == 2 ? 127 : 126);
}

sub run_op {
  my ($op, @a) = @_;
  if ($op eq 'mount') {
    my ($src, $target, $type, $flags, $data) = @a;
    sys('mount', $src, $target, $type, 0 + $flags, $data) or fail("mount $type on $target: " . errtext(), 1);
  } elsif ($op eq 'detach') {
    sys('umount2', $a[0], $MNT_DETACH);    # best effort: the mount may not exist
  } elsif ($op eq 'mkdir') {
    my ($dir, $mode) = @a;
    my $p = '';
    for (grep { $_ ne '' } split m{/}, $dir) {
      $p .= "/$_";
      mkdir($p, oct $mode) or -d $p or fail("mkdir $p: " . errtext(), 1);
    }
  } elsif ($op eq 'file') {
    my ($path, $mode, $uid, $gid, $data) = @a;
    open(my $f, '>', $path) or fail("create $path: " . errtext(), 1);
    print $f $data; close $f or fail("write $path: " . errtext(), 1);
    chown(0 + $uid, 0 + $gid, $path) or fail("chown $path: " . errtext(), 1);
    chmod(oct $mode, $path) or fail("chmod $path: " . errtext(), 1);
  } elsif ($op eq 'touch') {
    open(my $f, '>>', $a[0]) or fail("create $a[0]: " . errtext(), 1);
  } elsif ($op eq 'mknod') {
    my ($path, $mode, $major, $minor) = @a;
    sys('mknodat', $AT_FDCWD, $path, oct $mode, ($major << 8) | $minor) or fail("mknod $path: " . errtext(), 1);
  } elsif ($op eq 'symlink') {
    symlink($a[0], $a[1]) or fail("symlink $a[1]: " . errtext(), 1);
  } elsif ($op eq 'pivot') {
    chdir $a[0] or fail("chdir $a[0]: " . errtext(), 1);
    sys('pivot_root', '.', '.') or fail("pivot_root $a[0]: " . errtext(), 1);
    sys('umount2', '.', $MNT_DETACH) or fail('detach the old root: ' . errtext(), 1);
    chdir '/';
  } else {
    fail("unknown plan operation $op", 1);
  }
}

# Runs "ip <args> -batch -" with the batch on its stdin; returns its error output if it failed.
sub run_ip {
  my ($batch, @args) = @_;
  pipe(my $in_r, my $in_w) or die "supervisor: pipe: $!\n";
  pipe(my $msg_r, my $msg_w) or die "supervisor: pipe: $!\n";
  my $ip = fork();
  die "supervisor: fork: $!\n" unless defined $ip;
  if ($ip == 0) {
    open(STDIN, '<&', $in_r);
    open(STDOUT, '>', '/dev/null');
    open(STDERR, '>&', $msg_w);
    exec { 'ip' } 'ip', @args, '-batch', '-';
    print STDERR "cannot run ip: $!\n";
    syscall($nr->{exit_group}, 127);
  }
  close $in_r; close $msg_w;
  syswrite($in_w, $batch);    # a few hundred bytes: fits the pipe, so no deadlock with the read below
  close $in_w;
  my $msg = '';
  while (sysread($msg_r, my $chunk, 4096)) { $msg .= $chunk }
  waitpid($ip, 0);
  $? == 0 ? undef : ($msg ne '' ? $msg : "ip exited with status $?");
}

sub fail {
  my ($msg, $code) = @_;
  syswrite($status_w, $msg);
  syscall($nr->{exit_group}, $code);
}

sub pump_logs {
  my %open = (stdout => $out_r, stderr => $err_r);
  my %pending = (stdout => '', stderr => '');
  while (%open) {
    my $rin = '';
    vec($rin, fileno($open{$_}), 1) = 1 for keys %open;
    next if select(my $rout = $rin, undef, undef, undef) <= 0;
    for my $stream (keys %open) {
      next unless vec($rout, fileno($open{$stream}), 1);
      my $got = sysread($open{$stream}, my $chunk, 65536);
      next if !defined $got && $! + 0 == 4;    # EINTR
      if (!$got) {
        delete $open{$stream};
        $chunk = length $pending{$stream} ? "\n" : '';    # the last line had no newline: end it
      }
      $pending{$stream} .= $chunk;
      my $ts = now();
      my $records = '';
      while (length $pending{$stream}) {
        my $end = index($pending{$stream}, "\n");
        last if $end < 0 && length $pending{$stream} < $LINE_MAX;
        my $line = $end >= 0 && $end < $LINE_MAX ? substr($pending{$stream}, 0, $end + 1, '')
                                                  : substr($pending{$stream}, 0, $LINE_MAX, '') . "\n";
        $records .= "$ts $stream $line";
      }
      syswrite($log, $records) if length $records;
    }
  }
}

sub now {
  my $t = "\0" x 16;
  syscall($nr->{clock_gettime}, 0, $t);
  my ($s, $ns) = unpack 'q q', $t;
  my @g = gmtime $s;
  sprintf '%04d-%02d-%02dT%02d:%02d:%02d.%09dZ', $g[5] + 1900, $g[4] + 1, @g[3, 2, 1, 0], $ns;
}

sub start_time {
  open(my $f, '<', "/proc/$_[0]/stat") or return 0;
  my $stat = <$f>;
  (split / /, substr($stat, rindex($stat, ')') + 2))[19];
}

sub write_file {
  my ($path, $text) = @_;
  open(my $f, '>', "$path.tmp") or die "supervisor: write $path: $!\n";
  print $f $text;
  close $f;
  rename "$path.tmp", $path or die "supervisor: rename $path: $!\n";
}

sub json_str {
  my $s = shift;
  $s =~ s/(["\\])/\\$1/g;
  $s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
  "\"$s\"";
}
`;
