// SPDX-License-Identifier: MIT
/*
 * jitterd pcap --html FILE: one self-contained page, the --json document
 * and a script that draws it as SVG (no network, no library). Plots: per
 * class, the throughput timeline with microbursts (red bands) and sequence
 * gaps (orange lines) marked, and every latency histogram that has data.
 * The page says in #status how many plots and points it drew and how many
 * script errors it met: the test reads that back from a headless browser.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap/capture.h"

static const char page_head[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
	"<title>jitterd pcap</title>\n<style>\n"
	"body{font:13px sans-serif;margin:16px;color:#222}h1{font-size:18px}"
	"h2{font-size:15px;margin-top:24px}svg{background:#fafafa;border:1px solid #ddd;"
	"margin:4px}table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right;"
	"border-bottom:1px solid #eee}th:first-child,td:first-child{text-align:left}"
	".axis{font-size:10px;fill:#555}\n</style></head><body>\n"
	"<h1>jitterd pcap</h1><div id=\"summary\"></div><div id=\"plots\"></div>\n"
	"<div id=\"status\" data-plots=\"0\" data-points=\"0\" data-errors=\"0\"></div>\n"
	"<script id=\"data\" type=\"application/json\">";

/* The script: plain ES5-ish, drawing with DOM calls into SVG elements. */
static const char page_tail[] =
	"</script>\n<script>\n"
	"(function(){\n"
	"var st=document.getElementById('status');var errors=0,plots=0,points=0;\n"
	"window.onerror=function(){errors++;st.setAttribute('data-errors',errors);};\n"
	"var NS='http://www.w3.org/2000/svg';\n"
	"function el(n,a,p){var e=document.createElementNS(NS,n);for(var k in a)"
	"e.setAttribute(k,a[k]);if(p)p.appendChild(e);return e;}\n"
	"function txt(x,y,s,p,anchor){var t=el('text',{x:x,y:y,'class':'axis',"
	"'text-anchor':anchor||'start'},p);t.textContent=s;return t;}\n"
	"function ns(v){if(v<1e4)return v+'ns';if(v<1e7)return (v/1e3).toFixed(1)+'us';"
	"if(v<1e10)return (v/1e6).toFixed(1)+'ms';return (v/1e9).toFixed(2)+'s';}\n"
	"var R=JSON.parse(document.getElementById('data').textContent);\n"
	"var root=document.getElementById('plots');\n"
	"function section(t){var h=document.createElement('h2');h.textContent=t;"
	"root.appendChild(h);}\n"
	"function hist(title,d,unit){if(!d||!d.count)return;var W=560,H=200,L=50,B=30;"
	"var svg=el('svg',{width:W,height:H,'class':'plot hist'},root);"
	"txt(L,14,title+' (n='+d.count+', p50 '+ns(d.p50)+', p99 '+ns(d.p99)+', max '+"
	"ns(d.max)+')',svg);var h=d.histogram;var lo=Math.log(Math.max(1,h[0][0]/1.1)),"
	"hi=Math.log(h[h.length-1][0]*1.1);if(hi<=lo)hi=lo+1;var mx=0;"
	"h.forEach(function(b){mx=Math.max(mx,b[1]);});"
	"function X(v){return L+(W-L-10)*(Math.log(v)-lo)/(hi-lo);}"
	"h.forEach(function(b){var x=X(b[0]),y=(H-B)-(H-B-24)*b[1]/mx;"
	"el('rect',{x:x-2,y:y,width:4,height:(H-B)-y,fill:'#3a7'},svg);points++;});"
	"el('line',{x1:L,y1:H-B,x2:W-10,y2:H-B,stroke:'#999'},svg);"
	"for(var k=0;k<=4;k++){var v=Math.exp(lo+(hi-lo)*k/4);"
	"txt(X(v),H-B+14,unit=='ns'?ns(Math.round(v)):Math.round(v)+'',svg,'middle');}"
	"txt(4,H-B,'0',svg);txt(4,30,String(mx),svg);plots++;}\n"
	"function timeline(c){var t=c.timeline;if(!t||!t.bytes.length)return;"
	"var W=900,H=220,L=60,B=30;var svg=el('svg',{width:W,height:H,'class':'plot "
	"timeline'},root);"
	"var n=t.bytes.length,mx=0;var rate=t.bytes.map(function(b){return b*8e9/t.width_ns;});"
	"rate.forEach(function(r){mx=Math.max(mx,r);});if(!mx)mx=1;"
	"var t0=t.start_ns,t1=t.start_ns+n*t.width_ns;"
	"function X(ts){return L+(W-L-10)*(ts-t0)/Math.max(1,t1-t0);}"
	"function Y(r){return (H-B)-(H-B-24)*r/mx;}"
	"c.microbursts.list.forEach(function(b){el('rect',{x:X(b.start_ns),y:24,"
	"width:Math.max(1,X(b.start_ns+b.duration_ns)-X(b.start_ns)),height:H-B-24,"
	"fill:'rgba(220,40,40,0.25)','class':'burst'},svg);});"
	"if(c.sequence)c.sequence.gap_list.forEach(function(g){var x=X(g.ts_ns);"
	"el('line',{x1:x,y1:24,x2:x,y2:H-B,stroke:'orange','class':'gap'},svg);});"
	"var pts=rate.map(function(r,i){points++;return X(t0+i*t.width_ns)+','+Y(r);}).join(' ');"
	"el('polyline',{points:pts,fill:'none',stroke:'#26c'},svg);"
	"el('line',{x1:L,y1:H-B,x2:W-10,y2:H-B,stroke:'#999'},svg);"
	"txt(L,14,c.name+': throughput per '+ns(t.width_ns)+' ('+c.microbursts.count+"
	"' microbursts'+(c.sequence?', '+c.sequence.gaps+' sequence gaps':'')+')',svg);"
	"txt(4,Y(mx)+4,(mx/1e6).toFixed(1)+'Mb/s',svg);txt(4,H-B,'0',svg);"
	"txt(L,H-8,'0 s',svg);txt(W-10,H-8,((t1-t0)/1e9).toFixed(3)+' s',svg,'end');plots++;}\n"
	"var s=document.getElementById('summary');"
	"s.textContent=(R.kind=='match'?'match: ':'')+R.frames+' frames from '+R.files.join(', ')+"
	"'; percentiles within '+(R.percentile_relative_error*100).toFixed(1)+'%';\n"
	"var tb=document.createElement('table');tb.innerHTML='<tr><th>class</th><th>packets</th>"
	"<th>bytes</th><th>inter-arrival p50</th><th>p99</th><th>max</th></tr>';"
	"(R.classes||[]).forEach(function(c){var r=tb.insertRow();[c.name,c.packets,c.bytes,"
	"ns(c.inter_arrival_ns?c.inter_arrival_ns.p50:0),ns(c.inter_arrival_ns?c.inter_arrival_ns."
	"p99:0),"
	"ns(c.inter_arrival_ns?c.inter_arrival_ns.max:0)].forEach(function(v){r.insertCell()."
	"textContent=v;});});"
	"s.appendChild(tb);\n"
	"(R.classes||[]).forEach(function(c){section(c.name);timeline(c);"
	"hist('inter-arrival',c.inter_arrival_ns,'ns');"
	"if(c.tcp){hist('TCP RTT',c.tcp.rtt_ns,'ns');hist('request -> "
	"response',c.tcp.response_ns,'ns');}"
	"if(c.one_way_ns)hist('one-way latency A -> B',c.one_way_ns,'ns');});\n"
	"(R.feeds||[]).forEach(function(f){section('feed '+f.name+': A first '+f.a_first+', B "
	"first '+"
	"f.b_first+', only A '+f.only_a+', only B '+f.only_b);hist('A ahead "
	"by',f.a_first_by_ns,'ns');"
	"hist('B ahead by',f.b_first_by_ns,'ns');});\n"
	"(R.trigger_response||[]).forEach(function(t){section(t.trigger+' -> '+t.response);"
	"hist('trigger -> response',t.latency_ns,'ns');});\n"
	"st.setAttribute('data-plots',plots);st.setAttribute('data-points',points);"
	"st.setAttribute('data-done','1');\n"
	"})();\n</script></body></html>\n";

int pcap_report_html(json_t *report, const char *path)
{
	/* ESCAPE_SLASH: a "</script>" in a file name cannot end the data. */
	char *data = json_dumps(report, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ESCAPE_SLASH);
	FILE *f;
	int ret = 0;

	if (!data)
		return -ENOMEM;
	f = fopen(path, "w");
	if (!f) {
		ret = -errno;
	} else {
		fputs(page_head, f);
		fputs(data, f);
		fputs(page_tail, f);
		if (fclose(f))
			ret = -errno;
	}
	free(data);
	return ret;
}
